-- Agents reach Temporal through the agent door with a credential issued at enrollment (ADR 0010, item 3).
-- Nodes enrolled before it have none: their agents enroll again to get one.
ALTER TABLE "nodes" ADD COLUMN "agent_credential_hash" text;--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_agent_credential_hash_unique" UNIQUE("agent_credential_hash");