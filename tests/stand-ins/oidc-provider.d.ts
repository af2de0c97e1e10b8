// The part of oidc-provider's API the stand-in uses: the package ships no types and @types/oidc-provider
// is not installed (a devDependency to ask for). Only what tests/stand-ins/ calls, typed as documented.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface Token {
    grantId?: string;
    accountId?: string;
    scope?: string;
    destroy(): Promise<void>;
  }
  interface TokenModel {
    find(value: string): Promise<Token | undefined>;
    revokeByGrantId(grantId: string): Promise<void>;
    prototype: object;
  }
  interface Client {
    grantTypeAllowed(type: string): boolean;
  }
  export interface KoaContextWithOIDC {
    path: string;
    status: number;
    body: unknown;
    oidc?: { params?: Record<string, unknown> };
    response: { get(field: string): string };
    set(field: string, value: string): void;
  }
  interface InteractionDetails {
    uid: string;
    prompt: { name: string; details: Record<string, unknown> };
    params: Record<string, unknown>;
  }
  class Grant {
    constructor(init: { accountId: string; clientId: string });
    addResourceScope(resource: string, scope: string): void;
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }
  export const errors: { InvalidTarget: new () => Error };
  export default class Provider {
    constructor(
      issuer: string,
      configuration: Record<string, unknown> & {
        features?: Record<string, unknown> & {
          resourceIndicators?: {
            enabled: boolean;
            defaultResource(ctx: unknown): string;
            useGrantedResource(): boolean;
            getResourceServerInfo(ctx: unknown, resource: string): Record<string, unknown>;
          };
        };
        issueRefreshToken?(ctx: unknown, client: Client): Promise<boolean>;
        findAccount?(ctx: unknown, sub: string): unknown;
        interactions?: { url(ctx: unknown, interaction: { uid: string }): string };
      },
    );
    RefreshToken: TokenModel;
    AccessToken: TokenModel;
    Grant: typeof Grant;
    use(middleware: (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>): void;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, opts?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  }
}
