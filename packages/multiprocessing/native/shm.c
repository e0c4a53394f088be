/*
 * System V shared memory for @concurrent/multiprocessing: the one thing Node's core cannot do
 * (decision 0015). Three calls, nothing else:
 *
 *   create(bytes) -> id        a new private segment, mode 0600
 *   attach(id)    -> ArrayBuffer over the segment; detached (shmdt) when the buffer is collected
 *   remove(id)                 mark it for removal: the kernel frees it when the last process
 *                              that has it attached detaches or dies, even by SIGKILL
 *
 * The creator attaches and removes at once; Linux lets others attach a removed segment by its
 * id while any attachment is alive, so no segment outlives the program, however it ends.
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

static napi_value throw_errno(napi_env env, const char *call, int err) {
  char code[32];
  char message[160];
  snprintf(code, sizeof code, "E%d", err);
  snprintf(message, sizeof message, "%s: %s", call, strerror(err));
  napi_throw_error(env, err == EINVAL || err == EIDRM ? "EIDRM" : code, message);
  return NULL;
}

static int int_arg(napi_env env, napi_callback_info info, double *out) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return 0;
  return napi_get_value_double(env, argv[0], out) == napi_ok;
}

static napi_value create(napi_env env, napi_callback_info info) {
  double bytes;
  if (!int_arg(env, info, &bytes) || bytes < 1) {
    napi_throw_type_error(env, NULL, "create(bytes): bytes must be a positive number");
    return NULL;
  }
  int id = shmget(IPC_PRIVATE, (size_t)bytes, IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) return throw_errno(env, "shmget", errno);
  napi_value result;
  napi_create_int32(env, id, &result);
  return result;
}

static void detach(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  shmdt(data);
}

static napi_value attach(napi_env env, napi_callback_info info) {
  double id;
  if (!int_arg(env, info, &id)) {
    napi_throw_type_error(env, NULL, "attach(id): id must be a number");
    return NULL;
  }
  struct shmid_ds ds;
  if (shmctl((int)id, IPC_STAT, &ds) < 0) return throw_errno(env, "shmctl(IPC_STAT)", errno);
  void *base = shmat((int)id, NULL, 0);
  if (base == (void *)-1) return throw_errno(env, "shmat", errno);
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, base, ds.shm_segsz, detach, NULL, &buffer) != napi_ok) {
    shmdt(base);
    napi_throw_error(env, NULL, "napi_create_external_arraybuffer failed");
    return NULL;
  }
  return buffer;
}

static napi_value remove_segment(napi_env env, napi_callback_info info) {
  double id;
  if (!int_arg(env, info, &id)) {
    napi_throw_type_error(env, NULL, "remove(id): id must be a number");
    return NULL;
  }
  if (shmctl((int)id, IPC_RMID, NULL) < 0) return throw_errno(env, "shmctl(IPC_RMID)", errno);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor calls[] = {
      {"create", NULL, create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attach", NULL, attach, NULL, NULL, NULL, napi_enumerable, NULL},
      {"remove", NULL, remove_segment, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof calls / sizeof calls[0], calls);
  return exports;
}
