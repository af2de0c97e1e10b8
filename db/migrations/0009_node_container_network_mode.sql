-- Docker's network mode of each container the agent reports, so the node page can say when an instance
-- runs with the machine's own network (ADR 0010, item 4). Null until the node's agent reports it.
ALTER TABLE "node_containers" ADD COLUMN "network_mode" text;