/**
 * The operations on the wire (see frames.ts for the frame): what a handle asks of an owner,
 * and what an owner tells a handle. `obj` is always the object's id at its owner.
 *
 * @module
 */

// Handle → owner: pipe ends.
/** Take over a pipe end that was sent here. payload: the transfer token. */
export const P_ATTACH = 1;
/** A message for the other end. flags: {@link F_REDUCED}; payload: the bytes. */
export const P_SEND = 2;
/** Messages up to seq `a` were read (the owner may forget them and push more). */
export const P_ACK = 3;
/** This end is closed. */
export const P_CLOSE = 4;
/** This end was sent on; messages after seq `a` were not read. payload: the new token. */
export const P_HANDOFF = 5;
/** The end sent with this token never arrived (its receiver exited first): close it if still in transit. payload: the token. */
export const P_VOID = 6;

// Owner → handle: pipe ends.
/** A message for this end: seq `a`, flags, payload. */
export const P_MSG = 20;
/** The other end is closed and every message for this end has been pushed. */
export const P_EOF = 21;
/** This end is dead (closed elsewhere, or the transfer it came by is void). */
export const P_DEAD = 22;

// Handle → owner: queues.
/** Put: request id `a` (0: no answer wanted), flags, payload: the item. b: 1 = block. */
export const Q_PUT = 40;
/** Up to `a` items may be pushed to this handle and held untaken (sent again when it changes). */
export const Q_WANT = 41;
/** Items up to seq `a` were handed to the user: they are taken. */
export const Q_ACK = 42;
/**
 * Every item pushed to this handle from seq `a` on is given back: those it holds untaken and
 * those still on the way, which it drops until {@link Q_TAKEN_BACK}. Flags
 * {@link RETURN_DETACH}: and push no more (the handle closed; no Q_TAKEN_BACK).
 */
export const Q_RETURN = 43;
/** Q_RETURN's flags when the handle closed. */
export const RETURN_DETACH = 1;
/** One item now if there is one, then a reply to request `a`. */
export const Q_GETNOW = 44;
/** Give up the waiting put of request `a` (its timeout passed): answered OK if it got in meanwhile, else FULL. */
export const Q_CANCEL = 45;
/** `a` tasks done (JoinableQueue). */
export const Q_TASK_DONE = 46;
/** Reply to request `a` once every task is done. */
export const Q_JOIN = 47;
/** Reply to request `a` with the size (payload: v8 number). */
export const Q_SIZE = 48;

// Owner → handle: queues.
/** An item: seq `a`, flags, payload. */
export const Q_ITEM = 60;
/** Give back the items you hold and have not handed out from seq `a` on (another consumer waits that may take them). */
export const Q_RECLAIM = 61;
/** The answer to request `a`: status `b`, payload as the request defines. */
export const REPLY = 62;
/** The answer to a Q_RETURN: every item pushed before this is back with the owner. */
export const Q_TAKEN_BACK = 63;

// Handle → owner: the link itself.
/** The first frame of a link from a worker thread of the owner's process that claimed ring offer `a`: every later frame, both ways, goes through that ring pair (ring.ts). obj: 0. */
export const L_RING = 80;

/** Reply statuses. */
export const OK = 0;
export const FULL = 1;
export const ERROR = 2;

/** Payload flag: the payload holds reduced handles (revive after deserializing). */
export const F_REDUCED = 1;
/** Payload flag: raw bytes from sendBytes (not a serialized value). */
export const F_BYTES = 2;
/** Payload flag: the value as JSON text (plain data that JSON carries exactly; see runtime.ts `encode`). */
export const F_JSON = 4;
/** Payload flag: the value is a Buffer, and the payload its bytes (see runtime.ts `encode`). */
export const F_BUFFER = 8;
