CREATE TABLE "workflow_definition_shares" (
	"definition_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"shared_by" uuid,
	"shared_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workflow_definition_shares" ADD CONSTRAINT "workflow_definition_shares_definition_id_workflow_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."workflow_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_definition_shares" ADD CONSTRAINT "workflow_definition_shares_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_definition_shares" ADD CONSTRAINT "workflow_definition_shares_shared_by_users_id_fk" FOREIGN KEY ("shared_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_definition_shares_unique" ON "workflow_definition_shares" USING btree ("definition_id","user_id");--> statement-breakpoint
CREATE INDEX "workflow_definition_shares_user_idx" ON "workflow_definition_shares" USING btree ("user_id");