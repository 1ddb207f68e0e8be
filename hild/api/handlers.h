/*
 * handlers.h - the REST handlers the route table (api/router.c) names.
 * One file per resource; each handler follows api.h's contract.
 */
#ifndef HIL_API_HANDLERS_H
#define HIL_API_HANDLERS_H

#include "api/api.h"

/* api/project.c */
int project_list(struct api_req *r);
int project_create(struct api_req *r);
int project_delete(struct api_req *r);
int project_connect_node(struct api_req *r);
int project_detach_node(struct api_req *r);
int project_list_nodes(struct api_req *r);
int project_list_networks(struct api_req *r);

/* api/node.c */
int node_register(struct api_req *r);
/* Request validation of node_register's body, before authentication. */
int node_register_check(const json_t *args, char *err, size_t errlen);
int node_delete(struct api_req *r);
int node_show(struct api_req *r);
int node_list(struct api_req *r);
int node_register_nic(struct api_req *r);
int node_delete_nic(struct api_req *r);
int node_set_metadata(struct api_req *r);
int node_delete_metadata(struct api_req *r);
int node_set_obm(struct api_req *r);

/* api/user.c */
int user_list(struct api_req *r);
int user_create(struct api_req *r);
int user_delete(struct api_req *r);
int user_add_project(struct api_req *r);
int user_remove_project(struct api_req *r);
int user_set_admin(struct api_req *r);

/* api/network.c */
int network_create(struct api_req *r);
int network_delete(struct api_req *r);
int network_show(struct api_req *r);
int network_list(struct api_req *r);
int network_list_attachments(struct api_req *r);
int network_grant_access(struct api_req *r);
int network_revoke_access(struct api_req *r);

/* api/switch.c */
int switch_register(struct api_req *r);
int switch_delete(struct api_req *r);
int switch_show(struct api_req *r);
int switch_list(struct api_req *r);
int switch_register_port(struct api_req *r);
int switch_delete_port(struct api_req *r);
int switch_show_port(struct api_req *r);
int port_connect_nic(struct api_req *r);
int port_detach_nic(struct api_req *r);
int port_revert(struct api_req *r);

/* api/networking.c */
int node_connect_network(struct api_req *r);
int node_detach_network(struct api_req *r);
int networking_action_show(struct api_req *r);

/* api/obm.c */
int obm_power_on(struct api_req *r);
int obm_power_off(struct api_req *r);
int obm_power_cycle(struct api_req *r);
int obm_power_status(struct api_req *r);
int obm_set_bootdev(struct api_req *r);
int obm_console_show(struct api_req *r);
int obm_console_end(struct api_req *r);
int obm_action_show(struct api_req *r);

/* api/misc.c */
int misc_list_extensions(struct api_req *r);

/* List helpers the handler files share (api/misc.c).  Sorting is by byte
 * value, the order the original's sorted() gives labels, whatever the
 * database's collation.  misc_column_array returns a new array of column
 * col of every row (SQL NULLs skipped), or NULL when out of memory;
 * misc_sort_strings sorts an array of strings in place and returns 0 or
 * -ENOMEM. */
json_t *misc_column_array(const struct db_res *res, int col, bool sort);
int misc_sort_strings(json_t *array);

/* Room for a row id as text (a decimal int64 and its NUL). */
#define MISC_ID_LEN 24
/* Look up the id of the object named label with query q (one parameter;
 * the id in column 0).  Returns 0 with the id in ret_id, or the status of
 * the error reply it set (404 "no <what> '<label>'"). */
int misc_find_id(struct api_req *r, enum db_query q, const char *what,
		 const char *label, char ret_id[MISC_ID_LEN]);

#endif /* HIL_API_HANDLERS_H */
