CREATE TABLE "workflow_definitions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"process_id" text NOT NULL,
	"version" integer NOT NULL,
	"name" text,
	"resource_name" text NOT NULL,
	"xml" text NOT NULL,
	"checksum" text NOT NULL,
	"info" jsonb NOT NULL,
	"deployed_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_forms" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"form_id" text NOT NULL,
	"version" integer NOT NULL,
	"resource_name" text NOT NULL,
	"schema" jsonb NOT NULL,
	"checksum" text NOT NULL,
	"deployed_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"instance_id" bigint NOT NULL,
	"element_id" text NOT NULL,
	"element_type" text NOT NULL,
	"name" text,
	"event" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_incidents" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"instance_id" bigint NOT NULL,
	"element_id" text NOT NULL,
	"kind" text NOT NULL,
	"message" text NOT NULL,
	"engine_key" text,
	"job_id" bigint,
	"state" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" bigint,
	CONSTRAINT "workflow_incidents_state_check" CHECK ("workflow_incidents"."state" in ('open', 'resolved'))
);
--> statement-breakpoint
CREATE TABLE "workflow_instances" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"definition_id" bigint NOT NULL,
	"process_id" text NOT NULL,
	"version" integer NOT NULL,
	"parent_id" bigint,
	"parent_call_key" text,
	"business_key" text,
	"state" text DEFAULT 'active' NOT NULL,
	"snapshot" jsonb,
	"variables" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"open_incidents" integer DEFAULT 0 NOT NULL,
	"started_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_instances_state_check" CHECK ("workflow_instances"."state" in ('active', 'completed', 'terminated', 'canceled'))
);
--> statement-breakpoint
CREATE TABLE "workflow_jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"instance_id" bigint NOT NULL,
	"key" text NOT NULL,
	"element_id" text NOT NULL,
	"process_id" text NOT NULL,
	"type" text NOT NULL,
	"retries" integer NOT NULL,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"variables" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text DEFAULT 'activatable' NOT NULL,
	"worker" text,
	"deadline" timestamp with time zone,
	"retry_at" timestamp with time zone DEFAULT now() NOT NULL,
	"error_message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_jobs_state_check" CHECK ("workflow_jobs"."state" in ('activatable', 'activated', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "workflow_subscriptions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"instance_id" bigint,
	"definition_id" bigint NOT NULL,
	"key" text NOT NULL,
	"element_id" text NOT NULL,
	"message_name" text NOT NULL,
	"correlation_key" text,
	"interrupting" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_task_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"task_id" bigint NOT NULL,
	"event" text NOT NULL,
	"actor_id" bigint,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_timers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"instance_id" bigint,
	"definition_id" bigint NOT NULL,
	"key" text NOT NULL,
	"element_id" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"repetitions_left" integer,
	"interval" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_user_tasks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"instance_id" bigint NOT NULL,
	"key" text NOT NULL,
	"element_id" text NOT NULL,
	"process_id" text NOT NULL,
	"name" text,
	"assignee" text,
	"candidate_groups" text[] DEFAULT '{}'::text[] NOT NULL,
	"candidate_users" text[] DEFAULT '{}'::text[] NOT NULL,
	"form_key" text,
	"form_id" text,
	"due_date" timestamp with time zone,
	"follow_up_date" timestamp with time zone,
	"variables" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text DEFAULT 'created' NOT NULL,
	"completed_by" bigint,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_user_tasks_state_check" CHECK ("workflow_user_tasks"."state" in ('created', 'completed', 'canceled'))
);
--> statement-breakpoint
ALTER TABLE "workflow_definitions" ADD CONSTRAINT "workflow_definitions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_forms" ADD CONSTRAINT "workflow_forms_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_history" ADD CONSTRAINT "workflow_history_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_history" ADD CONSTRAINT "workflow_history_instance_id_workflow_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."workflow_instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_incidents" ADD CONSTRAINT "workflow_incidents_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_incidents" ADD CONSTRAINT "workflow_incidents_instance_id_workflow_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."workflow_instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_incidents" ADD CONSTRAINT "workflow_incidents_job_id_workflow_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."workflow_jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_instances" ADD CONSTRAINT "workflow_instances_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_instances" ADD CONSTRAINT "workflow_instances_definition_id_workflow_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."workflow_definitions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_instances" ADD CONSTRAINT "workflow_instances_parent_id_workflow_instances_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."workflow_instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_jobs" ADD CONSTRAINT "workflow_jobs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_jobs" ADD CONSTRAINT "workflow_jobs_instance_id_workflow_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."workflow_instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_subscriptions" ADD CONSTRAINT "workflow_subscriptions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_subscriptions" ADD CONSTRAINT "workflow_subscriptions_instance_id_workflow_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."workflow_instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_subscriptions" ADD CONSTRAINT "workflow_subscriptions_definition_id_workflow_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."workflow_definitions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_task_events" ADD CONSTRAINT "workflow_task_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_task_events" ADD CONSTRAINT "workflow_task_events_task_id_workflow_user_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."workflow_user_tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_timers" ADD CONSTRAINT "workflow_timers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_timers" ADD CONSTRAINT "workflow_timers_instance_id_workflow_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."workflow_instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_timers" ADD CONSTRAINT "workflow_timers_definition_id_workflow_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."workflow_definitions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_user_tasks" ADD CONSTRAINT "workflow_user_tasks_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_user_tasks" ADD CONSTRAINT "workflow_user_tasks_instance_id_workflow_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."workflow_instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_definitions_tenant_process_version_key" ON "workflow_definitions" USING btree ("tenant_id","process_id","version");--> statement-breakpoint
CREATE INDEX "workflow_definitions_tenant_path_gist" ON "workflow_definitions" USING gist ("tenant_path");--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_forms_tenant_form_version_key" ON "workflow_forms" USING btree ("tenant_id","form_id","version");--> statement-breakpoint
CREATE INDEX "workflow_forms_tenant_path_gist" ON "workflow_forms" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "workflow_history_instance_idx" ON "workflow_history" USING btree ("instance_id","id");--> statement-breakpoint
CREATE INDEX "workflow_history_tenant_path_gist" ON "workflow_history" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "workflow_incidents_instance_idx" ON "workflow_incidents" USING btree ("instance_id");--> statement-breakpoint
CREATE INDEX "workflow_incidents_open_idx" ON "workflow_incidents" USING btree ("tenant_id","id") WHERE "workflow_incidents"."state" = 'open';--> statement-breakpoint
CREATE INDEX "workflow_incidents_tenant_path_gist" ON "workflow_incidents" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "workflow_instances_tenant_path_gist" ON "workflow_instances" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "workflow_instances_tenant_state_idx" ON "workflow_instances" USING btree ("tenant_id","state","id");--> statement-breakpoint
CREATE INDEX "workflow_instances_definition_idx" ON "workflow_instances" USING btree ("definition_id");--> statement-breakpoint
CREATE INDEX "workflow_instances_parent_idx" ON "workflow_instances" USING btree ("parent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_jobs_instance_key" ON "workflow_jobs" USING btree ("instance_id","key");--> statement-breakpoint
CREATE INDEX "workflow_jobs_activatable_idx" ON "workflow_jobs" USING btree ("type","retry_at") WHERE "workflow_jobs"."state" = 'activatable';--> statement-breakpoint
CREATE INDEX "workflow_jobs_deadline_idx" ON "workflow_jobs" USING btree ("deadline") WHERE "workflow_jobs"."state" = 'activated';--> statement-breakpoint
CREATE INDEX "workflow_jobs_tenant_path_gist" ON "workflow_jobs" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "workflow_subscriptions_message_idx" ON "workflow_subscriptions" USING btree ("tenant_id","message_name","correlation_key");--> statement-breakpoint
CREATE INDEX "workflow_subscriptions_instance_idx" ON "workflow_subscriptions" USING btree ("instance_id");--> statement-breakpoint
CREATE INDEX "workflow_subscriptions_tenant_path_gist" ON "workflow_subscriptions" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "workflow_task_events_task_idx" ON "workflow_task_events" USING btree ("task_id","id");--> statement-breakpoint
CREATE INDEX "workflow_task_events_tenant_path_gist" ON "workflow_task_events" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "workflow_timers_due_idx" ON "workflow_timers" USING btree ("due_at");--> statement-breakpoint
CREATE INDEX "workflow_timers_instance_idx" ON "workflow_timers" USING btree ("instance_id");--> statement-breakpoint
CREATE INDEX "workflow_timers_tenant_path_gist" ON "workflow_timers" USING gist ("tenant_path");--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_user_tasks_instance_key" ON "workflow_user_tasks" USING btree ("instance_id","key");--> statement-breakpoint
CREATE INDEX "workflow_user_tasks_tenant_path_gist" ON "workflow_user_tasks" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "workflow_user_tasks_open_idx" ON "workflow_user_tasks" USING btree ("tenant_id","state","id");--> statement-breakpoint
CREATE INDEX "workflow_user_tasks_assignee_idx" ON "workflow_user_tasks" USING btree ("assignee") WHERE "workflow_user_tasks"."state" = 'created';--> statement-breakpoint
CREATE INDEX "workflow_user_tasks_groups_gin" ON "workflow_user_tasks" USING gin ("candidate_groups");