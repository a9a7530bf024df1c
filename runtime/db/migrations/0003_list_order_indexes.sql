CREATE INDEX "communities_tenant_path_code_idx" ON "communities" USING btree ("tenant_path","code");--> statement-breakpoint
CREATE INDEX "roles_tenant_path_code_idx" ON "roles" USING btree ("tenant_path","code");--> statement-breakpoint
CREATE INDEX "users_tenant_path_username_idx" ON "users" USING btree ("tenant_path","username");