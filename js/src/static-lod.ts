/** Level-of-detail requests a saved page answers from what it holds: heatmap tiles for any head subset
 * (static-tiles.ts) and, in pages that hold whole layers, the head view's rows (static-rows.ts). */
import { answerRows } from "./static-rows";
import { answerTile } from "./static-tiles";

type Unpacked = { arrays: Record<string, unknown>; buffers: DataView[]; data: Record<string, unknown> };
type Message = { content: Record<string, unknown>; buffers?: DataView[] };

export function isLodRequest(what: unknown): boolean {
  return what === "attention_tile" || what === "attention_rows" || what === "attention_row";
}

/** The page's answer, or null when it holds nothing to answer from (then: "needs a running kernel"). */
export function answerLod(c: Record<string, unknown>, key: string, find: (key: string) => Promise<Unpacked | undefined>): Promise<Message | null> {
  return c.what === "attention_tile" ? answerTile(c, key, find) : answerRows(c, key, find);
}
