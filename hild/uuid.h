/*
 * uuid.h - random (version 4) UUIDs, the ids of queued operations.
 */
#ifndef HIL_UUID_H
#define HIL_UUID_H

#define UUID_TEXT_LEN 37 /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" + NUL */

/* Write a new UUID from the kernel's random source into ret.  Returns 0,
 * or -EIO when no random bytes could be read. */
int uuid_new(char ret[UUID_TEXT_LEN]);

#endif /* HIL_UUID_H */
