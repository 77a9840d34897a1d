/**
 * Entry of `static/standalone.js`: an IIFE inlined by Python's `Lens.save_html` into a self-contained
 * page. No exports, no imports at run time; see static-page.ts.
 */
import { autoBoot } from "./static-page";

autoBoot(document);
