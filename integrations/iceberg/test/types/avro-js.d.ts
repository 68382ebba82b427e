declare module "avro-js/lib/files.js" {
  const files: unknown
  export default files
}
