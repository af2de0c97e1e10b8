CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" text NOT NULL,
	"organization_id" uuid NOT NULL,
	"node_id" uuid NOT NULL,
	"instance_id" uuid,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"workflow_id" text NOT NULL,
	"run_id" text,
	"requested_by" uuid,
	"state" text NOT NULL,
	"step" text,
	"approval_phrase" text,
	"approval_expires_at" timestamp (3) with time zone,
	"approvals" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"failure_reason" text,
	"result" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp (3) with time zone,
	CONSTRAINT "jobs_workflow_id_unique" UNIQUE("workflow_id")
);
--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "bundle_version" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "port" integer;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "health" jsonb;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "managed_since" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "jobs_org_created_idx" ON "jobs" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE INDEX "jobs_node_idx" ON "jobs" USING btree ("node_id");--> statement-breakpoint
CREATE INDEX "jobs_state_idx" ON "jobs" USING btree ("state");