import type { Endpoints } from "../core/ports.js";

/** The national clouds azir knows. */
export type AzureCloudName = "AzureCloud" | "AzureUSGovernment" | "AzureChinaCloud";

export const cloudNames: readonly AzureCloudName[] = ["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"];

/** Token scopes per service. They follow the cloud, never the (possibly overridden) URL. */
export interface ServiceScopes {
  graph: string;
  logs: string;
  arm: string;
}

/** Endpoints plus the scopes tokens are requested for. */
export interface ResolvedEndpoints {
  cloud: AzureCloudName;
  endpoints: Endpoints;
  scopes: ServiceScopes;
}

const clouds: Record<AzureCloudName, { endpoints: Endpoints; scopes: ServiceScopes }> = {
  AzureCloud: {
    endpoints: {
      graph: "https://graph.microsoft.com",
      logs: "https://api.loganalytics.io/v1",
      arm: "https://management.azure.com",
      authority: "https://login.microsoftonline.com",
    },
    scopes: {
      graph: "https://graph.microsoft.com/.default",
      logs: "https://api.loganalytics.io/.default",
      arm: "https://management.azure.com/.default",
    },
  },
  AzureUSGovernment: {
    endpoints: {
      graph: "https://graph.microsoft.us",
      logs: "https://api.loganalytics.us/v1",
      arm: "https://management.usgovcloudapi.net",
      authority: "https://login.microsoftonline.us",
    },
    scopes: {
      graph: "https://graph.microsoft.us/.default",
      logs: "https://api.loganalytics.us/.default",
      arm: "https://management.usgovcloudapi.net/.default",
    },
  },
  AzureChinaCloud: {
    endpoints: {
      graph: "https://microsoftgraph.chinacloudapi.cn",
      logs: "https://api.loganalytics.azure.cn/v1",
      arm: "https://management.chinacloudapi.cn",
      authority: "https://login.chinacloudapi.cn",
    },
    scopes: {
      graph: "https://microsoftgraph.chinacloudapi.cn/.default",
      logs: "https://api.loganalytics.azure.cn/.default",
      arm: "https://management.chinacloudapi.cn/.default",
    },
  },
};

export function isCloudName(value: string): value is AzureCloudName {
  return (cloudNames as readonly string[]).includes(value);
}

export function cloudEndpoints(cloud: AzureCloudName): Endpoints {
  return { ...clouds[cloud].endpoints };
}

export function cloudScopes(cloud: AzureCloudName): ServiceScopes {
  return { ...clouds[cloud].scopes };
}

/**
 * The cloud's endpoints with explicit overrides applied (trailing slashes removed). Scopes stay the cloud's:
 * an emulator on 127.0.0.1 is still asked for tokens of the real audiences.
 */
export function resolveEndpoints(cloud: AzureCloudName, overrides: Partial<Endpoints> = {}): ResolvedEndpoints {
  const base = clouds[cloud].endpoints;
  const pick = (key: keyof Endpoints): string => trimSlash(overrides[key] ?? base[key]);
  return {
    cloud,
    endpoints: { graph: pick("graph"), logs: pick("logs"), arm: pick("arm"), authority: pick("authority") },
    scopes: { ...clouds[cloud].scopes },
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
