import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import mod from "../../../../modules/firewall/rule.js";
import { runModuleFixtures } from "../harness.js";

runModuleFixtures(mod, dirname(fileURLToPath(import.meta.url)));
