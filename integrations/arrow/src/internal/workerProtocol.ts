/** Messages between the main thread and the encoding worker (types only). */

export type Job =
  | {
    readonly id: number
    readonly kind: "write-parquet"
    /** The table as an Arrow IPC stream. */
    readonly ipc: Uint8Array
    readonly compression: "zstd" | "snappy" | "none"
    readonly rowGroupRows: number | undefined
    readonly temp: string
    readonly durable: boolean
  }
  | {
    readonly id: number
    readonly kind: "read-parquet"
    readonly bytes: Uint8Array
    readonly columns: Array<string> | undefined
  }

export type Reply =
  | { readonly id: number; readonly hash: string; readonly size: number }
  | { readonly id: number; readonly ipc: Uint8Array }
  | {
    readonly id: number
    readonly error: { readonly stage: "encode" | "run"; readonly message: string; readonly code?: string }
  }
