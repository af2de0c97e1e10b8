ALTER TABLE "jobs" ADD COLUMN "rollout_job_id" uuid;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "target_index" integer;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_rollout_job_id_jobs_id_fk" FOREIGN KEY ("rollout_job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_rollout_target_unique" ON "jobs" USING btree ("rollout_job_id","target_index");