const isLineEnd = (code: number) => code === 10 || code === 13;

/**
 * True when the frame in text[from, end) (one whole message, as the splitter cuts them, read as
 * latin1) begins with `head` and its last line ends with `}`: `head` holds the lines before the
 * data line, if any, and the start of that line (`data: {` at least). The one shape a provider's
 * quick look may trust; any other frame is parsed.
 */
export function isJsonDataFrame(text: string, from: number, end: number, head: string): boolean {
  if (!text.startsWith(head, from)) return false;
  let last = end - 1;
  while (last > from && isLineEnd(text.charCodeAt(last))) last--;
  return last >= from + head.length && text.charCodeAt(last) === 125 /* } */;
}
