/**
 * The I/O manager conformance suite against IcebergIO (the one behind core's
 * DefaultIO) on a filesystem catalog in the test's folder.
 */
import { ioManagerConformance } from "@strata/core/testing"
import { Effect } from "effect"
import { IcebergCatalog, IcebergIO } from "../src/index.ts"

ioManagerConformance("IcebergIO (DefaultIO: JSON values, rows, tables)", {
  make: ({ base }) => Effect.sync(() => IcebergIO.make(IcebergCatalog.makeFileSystem({ warehouse: base })).values),
  capabilities: {
    values: ["json"],
    partitions: true,
    // partitions share one table (a `_partition` column), so a partition never stored reads as zero rows
    emptyMissingPartitions: true,
    concurrentReaders: true,
    persistent: true,
    // the data version is the snapshot id: every store is a new snapshot
    dataVersion: "per-store",
    longNames: false
  },
  timeout: 180_000
})
