ALTER TABLE "devices" ADD COLUMN "connection" jsonb;--> statement-breakpoint
-- The Modbus poller of a runtime node keeps a copy of the devices it polls. A write to what that copy is
-- built from tells every node at commit (NOTIFY, once per statement), so a new or changed device is polled
-- at once instead of at the next periodic reload. Only the columns the copy reads fire it: a device's
-- online state and last contact change with every message and would drown the channel.
CREATE FUNCTION shuiyun_device_registry_changed() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM pg_notify('shuiyun_device_registry', TG_TABLE_NAME); RETURN NULL; END $$;
--> statement-breakpoint
CREATE TRIGGER device_registry_changed AFTER INSERT OR DELETE OR UPDATE OF product_id, device_key, gateway_id, state, connection, tenant_path ON devices
  FOR EACH STATEMENT EXECUTE FUNCTION shuiyun_device_registry_changed();
--> statement-breakpoint
CREATE TRIGGER device_registry_changed AFTER INSERT OR DELETE OR UPDATE OF transport, codec, codec_settings, tenant_path ON products
  FOR EACH STATEMENT EXECUTE FUNCTION shuiyun_device_registry_changed();
