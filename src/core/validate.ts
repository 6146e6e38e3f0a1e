/**
 * Validation of the identifiers azir interpolates into queries and URLs. Each refuses before any call is made;
 * what passes is safe to put in a KQL string literal or a URL path segment after the usual escaping.
 */

// A user principal name: local part of letters, digits and . _ - + ' (no quotes other than the apostrophe that
// real tenants allow, which the KQL renderer escapes), then @ and a DNS domain. No spaces, no slashes, no control characters.
const upnPattern = /^[A-Za-z0-9._+\-#']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const guidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// /subscriptions/{guid}/resourceGroups/{rg}/providers/{Namespace}/{type}/{name}[/{type}/{name}...]
const resourceIdPattern =
  /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w._()]{1,90}\/providers\/[A-Za-z0-9]+\.[A-Za-z0-9.]+(?:\/[A-Za-z0-9]+\/[-\w._]{1,260})+$/;

export function isUpn(value: string): boolean {
  return upnPattern.test(value) && value.length <= 113;
}

export function isGuid(value: string): boolean {
  return guidPattern.test(value);
}

export function isResourceId(value: string): boolean {
  return resourceIdPattern.test(value);
}

export interface ParsedResourceId {
  subscriptionId: string;
  resourceGroup: string;
  provider: string;
  /** e.g. ["virtualMachines", "vm-web-01"] pairs flattened: types and names alternate. */
  types: string[];
  names: string[];
  name: string;
  type: string;
}

export function parseResourceId(value: string): ParsedResourceId | undefined {
  if (!isResourceId(value)) return undefined;
  const parts = value.split("/").slice(1);
  const subscriptionId = parts[1]!;
  const resourceGroup = parts[3]!;
  const provider = parts[5]!;
  const rest = parts.slice(6);
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    types.push(rest[i]!);
    names.push(rest[i + 1]!);
  }
  return { subscriptionId, resourceGroup, provider, types, names, name: names.at(-1)!, type: `${provider}/${types.join("/")}` };
}
