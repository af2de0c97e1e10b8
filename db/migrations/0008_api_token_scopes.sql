-- Tokens made before scopes and expiry keep working for 90 days with read and operate, but not approve:
-- approving through the API now takes a token made for it (ADR 0010, item 6).
ALTER TABLE "api_tokens" ADD COLUMN "scopes" text[] DEFAULT '{read,operate}' NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ALTER COLUMN "scopes" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "expires_at" timestamp (3) with time zone DEFAULT (now() + interval '90 days') NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ALTER COLUMN "expires_at" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_scopes_known" CHECK (cardinality("api_tokens"."scopes") > 0 and "api_tokens"."scopes" <@ array['read', 'operate', 'approve']::text[]);
