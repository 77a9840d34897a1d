/** anywidget entry point: `export default { render }`, render({model, el}) returns the cleanup. */
import { render } from "./widget";

export default { render };
