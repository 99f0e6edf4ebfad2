// Blocks of text embedded in hand-written YAML: a PEM under `value: |`, a list under its key.

/** `text` without surrounding white space, every line indented by `spaces`. */
export function indentBlock(text: string, spaces: number): string {
  return text
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');
}
