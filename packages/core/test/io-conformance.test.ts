import { Effect } from "effect"
import { FileSystemIO, InMemoryIO } from "../src/index.ts"
import { ioManagerConformance } from "../src/testing.ts"

ioManagerConformance("FileSystemIO", {
  make: ({ base }) => Effect.sync(() => FileSystemIO.make({ base })),
  capabilities: {
    values: ["json", "structured"],
    partitions: true,
    // a range loads each partition and combines them (partitions/partitionedValues.ts)
    partitionRanges: true,
    concurrentReaders: true,
    persistent: true,
    dataVersion: "content",
    longNames: true
  }
})

ioManagerConformance("InMemoryIO", {
  make: () => Effect.sync(() => InMemoryIO.make()),
  capabilities: {
    values: ["json", "structured"],
    partitions: true,
    // a range loads each partition and combines them (partitions/partitionedValues.ts)
    partitionRanges: true,
    concurrentReaders: true,
    persistent: false,
    dataVersion: "content",
    longNames: true
  }
})
