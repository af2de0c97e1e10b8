ALTER TABLE "instances" ADD COLUMN "applied_tools_hash" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "applied_tools" jsonb;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "applied_tools_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "reported_tools_hash" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "reported_tools" jsonb;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "reported_tools_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "drifted_since" timestamp (3) with time zone;