// Validates Kubernetes manifests (multi-document YAML on stdin, as `helm template` prints them) against the API schemas
// kubernetes-models carries (Kubernetes 1.34; cert-manager.io/v1 from @kubernetes-models/cert-manager,
// monitoring.coreos.com/v1 from @kubernetes-models/prometheus-operator).
// Prints one line per object and exits 1 when any object is invalid or of an unknown apiVersion/kind.
import { parseAllDocuments } from "yaml";

const input = await new Promise((resolve) => {
  let text = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
});

async function model(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const crds = { "cert-manager.io": "cert-manager", "monitoring.coreos.com": "prometheus-operator" };
  const module = crds[group]
    ? `@kubernetes-models/${crds[group]}/${group}/${version}/${kind}`
    : `kubernetes-models/${group ? `${group}/` : ""}${version}/${kind}`;
  return (await import(module))[kind];
}

let failed = 0;
let count = 0;
for (const document of parseAllDocuments(input)) {
  if (document.errors.length > 0) {
    console.log(`invalid YAML: ${document.errors[0].message}`);
    failed++;
    continue;
  }
  const object = document.toJS();
  if (object === null || object === undefined) continue;
  count++;
  const name = `${object.apiVersion}/${object.kind} ${object.metadata?.name ?? "?"}`;
  let Model;
  try {
    Model = await model(String(object.apiVersion), String(object.kind));
  } catch {
    Model = undefined;
  }
  if (typeof Model !== "function") {
    console.log(`unknown kind: ${name}`);
    failed++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`valid: ${name}`);
  } catch (error) {
    console.log(`invalid: ${name}: ${error.message}`);
    failed++;
  }
}
console.log(`${count} objects, ${failed} invalid`);
process.exit(failed > 0 || count === 0 ? 1 : 0);
