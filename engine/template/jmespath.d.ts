// Types of the jmespath package (the JMESPath reference implementation in JavaScript), as used by
// the json_query filter.
declare module "jmespath" {
  export function search(data: unknown, expression: string): unknown;
  const jmespath: { search: typeof search };
  export default jmespath;
}
