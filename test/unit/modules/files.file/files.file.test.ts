import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { runModuleFixtures } from "../harness.js";
import mod from "../../../../modules/files/file.js";

runModuleFixtures(mod, dirname(fileURLToPath(import.meta.url)));
