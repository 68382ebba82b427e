/**
 * The Layers every table I/O manager offers (`layer`, `layerDefault`,
 * `layerFor`), built once from the client key a backend needs and the
 * function making its managers, so that each integration states only what
 * differs: its client and its backend.
 */
import { IOManager } from "@strata/core"
import type * as Arrow from "apache-arrow"
import type { Context } from "effect"
import { Effect, Layer } from "effect"
import type { Managers, TableHandler } from "../TableIO.ts"

/**
 * `layerFor` of a backend: its Arrow-table manager behind any key, or, with
 * a `handler`, a manager of the key's own values converted to tables.
 */
export interface LayerFor<Client, Options> {
  <Id>(key: Context.Key<Id, IOManager.IOManager<Arrow.Table>>, options?: Options): Layer.Layer<Id, never, Client>
  <Id, A>(
    key: Context.Key<Id, IOManager.IOManager<A>>,
    options: Options & { readonly handler: TableHandler<A> }
  ): Layer.Layer<Id, never, Client>
}

/** The Layers of a table I/O manager over a client service. */
export interface Layers<Client, Options> {
  /** The Arrow-table manager behind `key` (the integration's own tag). */
  readonly layerFor: LayerFor<Client, Options>
  /** The backend behind core's `DefaultIO`: Arrow tables, arrays of row objects and JSON values. */
  readonly layerDefault: (options?: Options) => Layer.Layer<IOManager.DefaultIO, never, Client>
}

/**
 * Builds the Layers of a table I/O manager from its client's key and its
 * `make` (client and options to managers).
 */
export const layers = <Client, Shape, Options>(
  client: Context.Key<Client, Shape>,
  make: (client: Shape, options?: Options) => Managers
): Layers<Client, Options> => {
  const layerFor = <Id, A>(
    key: Context.Key<Id, IOManager.IOManager<A>>,
    options?: Options & { readonly handler?: TableHandler<A> | undefined }
  ): Layer.Layer<Id, never, Client> =>
    Layer.effect(
      key,
      Effect.map(client, (service) => {
        const managers = make(service, options)
        return options?.handler === undefined ? managers.tables as unknown as IOManager.IOManager<A> : managers.withHandler(options.handler)
      })
    )
  const layerDefault = (options?: Options) =>
    Layer.effect(IOManager.DefaultIO, Effect.map(client, (service) => make(service, options).values))
  return { layerFor: layerFor as LayerFor<Client, Options>, layerDefault }
}
