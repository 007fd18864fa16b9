CREATE TABLE "cluster_clock" (
	"cluster" text PRIMARY KEY NOT NULL,
	"last_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cluster_nodes" (
	"cluster" text NOT NULL,
	"node_id" text NOT NULL,
	"heartbeat_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "cluster_nodes_cluster_node_id_pk" PRIMARY KEY("cluster","node_id")
);
--> statement-breakpoint
CREATE TABLE "cluster_presence" (
	"cluster" text NOT NULL,
	"node_id" text NOT NULL,
	"user_id" text NOT NULL,
	"connections" integer NOT NULL,
	CONSTRAINT "cluster_presence_cluster_node_id_user_id_pk" PRIMARY KEY("cluster","node_id","user_id"),
	CONSTRAINT "cluster_presence_connections_check" CHECK ("cluster_presence"."connections" > 0)
);
--> statement-breakpoint
ALTER TABLE "cluster_presence" ADD CONSTRAINT "cluster_presence_cluster_node_id_cluster_nodes_cluster_node_id_fk" FOREIGN KEY ("cluster","node_id") REFERENCES "public"."cluster_nodes"("cluster","node_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cluster_presence_user_idx" ON "cluster_presence" USING btree ("cluster","user_id");