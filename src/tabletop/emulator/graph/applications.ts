import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { RouteParams } from "../router.js";
import type { ApiRequest, Reply } from "../types.js";
import { notEmulated, notFound, parseBody, publicApp, requirePermission, type GraphContext, type GraphRoute } from "./context.js";
import { applySelect, checkQueryOptions, GraphFault, matchesFilter, page, parseFilter } from "./odata.js";
import { graphPermissions } from "./permissions.js";

const docs = "microsoft-graph-docs-contrib api-reference/v1.0/api";

const addPasswordSchema = z.object({
  passwordCredential: z
    .object({ displayName: z.string().nullable().optional(), endDateTime: z.string().optional(), startDateTime: z.string().optional() })
    .loose()
    .default({}),
});
const removePasswordSchema = z.object({ keyId: z.string().min(1) });
const appPatchSchema = z
  .object({ displayName: z.string().optional(), keyCredentials: z.array(z.looseObject({ keyId: z.string() })).optional(), passwordCredentials: z.array(z.looseObject({ keyId: z.string() })).optional() })
  .strict();

type Collection = "applications" | "servicePrincipals";
type AppLike = GraphContext["state"]["applications"][number] | GraphContext["state"]["servicePrincipals"][number];

function listOf(ctx: GraphContext, collection: Collection): AppLike[] {
  return collection === "applications" ? ctx.state.applications : ctx.state.servicePrincipals;
}

/** By object id, or by `(appId='...')` after the collection segment. */
function findApp(ctx: GraphContext, collection: Collection, key: string): AppLike {
  const list = listOf(ctx, collection);
  const byAppId = /^\(appId='([^']+)'\)$/i.exec(key.replace(/^[^(]*/, ""));
  const target = byAppId ? list.find((a) => a.appId === byAppId[1]) : list.find((a) => a.id === key);
  if (!target) throw notFound(collection, key);
  return target;
}

function routesFor(collection: Collection, docPage: string): GraphRoute[] {
  const refuse = (ctx: GraphContext, req: ApiRequest, params: RouteParams): Reply => {
    // Deletion is not emulated; any other method names the object first, so an unknown one is a 404.
    if (req.method === "DELETE") throw notEmulated(req);
    findApp(ctx, collection, params.key ?? "");
    throw notEmulated(req);
  };
  return [
    {
      method: "GET",
      pattern: `/${collection}`,
      source: `${docs}/${docPage}-list.md`,
      handle(ctx, req) {
        requirePermission(ctx, graphPermissions.applicationRead);
        const q = req.query;
        checkQueryOptions(q);
        const filter = parseFilter(q.get("$filter"), ["appId", "displayName", "id"]);
        const items = listOf(ctx, collection).filter((a) => matchesFilter(a, filter)).map((a) => applySelect(publicApp(a), q.get("$select")));
        return page(items, q, req.origin, req.path, collection);
      },
    },
    {
      method: "GET",
      pattern: `/${collection}/{key}`,
      source: `${docs}/${docPage}-get.md`,
      handle(ctx, req, params) {
        requirePermission(ctx, graphPermissions.applicationRead);
        const target = findApp(ctx, collection, params.key!);
        checkQueryOptions(req.query);
        return { status: 200, body: { "@odata.context": `https://graph.microsoft.com/v1.0/$metadata#${collection}/$entity`, ...applySelect(publicApp(target), req.query.get("$select")) } };
      },
    },
    {
      method: "PATCH",
      pattern: `/${collection}/{key}`,
      source: `${docs}/${docPage}-update.md`,
      handle(ctx, req, params) {
        const target = findApp(ctx, collection, params.key!);
        const patch = parseBody(appPatchSchema, req.body);
        requirePermission(ctx, graphPermissions.appWrite);
        Object.assign(target, patch);
        return { status: 204 };
      },
    },
    {
      method: "POST",
      pattern: `/${collection}/{key}/addPassword`,
      source: `${docs}/${docPage}-addpassword.md`,
      handle(ctx, req, params) {
        const target = findApp(ctx, collection, params.key!);
        const body = parseBody(addPasswordSchema, req.body);
        requirePermission(ctx, graphPermissions.appCredentials);
        // The secret is in this answer only: never stored, so never in state() or the request log.
        const secretText = randomBytes(30).toString("base64").replace(/[+/=]/g, "x").slice(0, 40);
        const now = ctx.clock.now();
        const start = body.passwordCredential.startDateTime ?? now.toISOString();
        const end = body.passwordCredential.endDateTime ?? new Date(now.getTime() + 2 * 365 * 86_400_000).toISOString();
        const credential = { keyId: ctx.ids.uuid(), displayName: body.passwordCredential.displayName ?? null, hint: secretText.slice(0, 3), startDateTime: start, endDateTime: end, customKeyIdentifier: null };
        target.passwordCredentials.push({ ...credential });
        return { status: 200, body: { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.passwordCredential", ...credential, secretText } };
      },
    },
    {
      method: "POST",
      pattern: `/${collection}/{key}/removePassword`,
      source: `${docs}/${docPage}-removepassword.md`,
      handle(ctx, req, params) {
        const target = findApp(ctx, collection, params.key!);
        const body = parseBody(removePasswordSchema, req.body);
        requirePermission(ctx, graphPermissions.appCredentials);
        const index = target.passwordCredentials.findIndex((c) => c.keyId === body.keyId);
        if (index < 0) throw new GraphFault(400, "Request_BadRequest", `No password credential found with keyId ${body.keyId}.`);
        target.passwordCredentials.splice(index, 1);
        return { status: 204 };
      },
    },
    { method: "*", pattern: `/${collection}`, source: `${docs}/${docPage}-get.md (404 for an unknown object)`, handle: refuse },
    { method: "*", pattern: `/${collection}/{key}`, source: `${docs}/${docPage}-get.md (404 for an unknown object)`, handle: refuse },
    { method: "*", pattern: `/${collection}/{key}/{rest+}`, source: `${docs}/${docPage}-get.md (404 for an unknown object)`, handle: refuse },
  ];
}

/** App registrations and service principals: list, get, update, add and remove client secrets. */
export const applicationRoutes: GraphRoute[] = [...routesFor("applications", "application"), ...routesFor("servicePrincipals", "serviceprincipal")];
