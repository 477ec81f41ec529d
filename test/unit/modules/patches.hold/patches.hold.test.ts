import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import mod from "../../../../modules/patches/hold.js";
import { runModuleFixtures } from "../harness.js";

runModuleFixtures(mod, dirname(fileURLToPath(import.meta.url)));
