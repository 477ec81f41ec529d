// Reading the controller-side keywords into a Placement (core/plan.ts): remote_user, environment,
// connection, delegate_to, delegate_facts, run_once. Values that are templates stay as written and
// are checked for syntax here; engine/run/delegate.ts renders them per host.
import { isMap, isScalar, type YamlFile, type Node } from "../core/yaml.js";
import type { Placement } from "../core/plan.js";
import { checkTemplate, hasTemplate } from "../template/index.js";
import { boolValue, checkTemplates, describe, posOfScalarText, stringValue } from "./readers.js";

/** A copy of `from` with keyword `k` set from `v`. */
export function placementSetting(from: Placement | undefined, y: YamlFile, v: Node, k: string): Placement {
  const p: Placement = { ...from };
  switch (k) {
    case "remote_user":
      p.remoteUser = templated(y, v, k);
      break;
    case "delegate_to":
      p.delegateTo = templated(y, v, k);
      break;
    case "delegate_facts":
      p.delegateFacts = boolValue(y, v, k);
      break;
    case "run_once":
      p.runOnce = boolValue(y, v, k);
      break;
    case "connection": {
      const c = stringValue(y, v, k);
      if (c === "local") p.connection = "local";
      else if (c === "ssh" || c === "smart" || c === "paramiko" || c === "paramiko_ssh") p.connection = "ssh";
      else
        throw y.error(
          `connection: '${c}' is not supported; keel connects with ssh or local`,
          v,
          "write `connection: local` (run on this machine) or `connection: ssh`",
        );
      break;
    }
    case "environment": {
      const val = y.js(v);
      if (val === null || val === undefined) break;
      const ok = isMap(v) || (typeof val === "string" && hasTemplate(val));
      if (!ok)
        throw y.error(
          `environment: must be a mapping of variable names to values, or a template giving one, got ${describe(val)}`,
          v,
          'environment:\n  http_proxy: http://proxy:3128\nor `environment: "{{ proxy_env }}"`',
        );
      if (isMap(v)) {
        for (const name of Object.keys(val as Record<string, unknown>)) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
            throw y.error(`environment: '${name}' is not a valid variable name`, v, "use letters, digits and _, not starting with a digit");
        }
      }
      checkTemplates(y, v);
      p.environment = [...(from?.environment ?? []), val];
      break;
    }
  }
  return p;
}

function templated(y: YamlFile, v: Node, k: string): string {
  const s = stringValue(y, v, k).trim();
  if (!s) throw y.error(`${k}: is empty`, v);
  if (isScalar(v) && hasTemplate(s)) checkTemplate(s, posOfScalarText(y, v));
  return s;
}
