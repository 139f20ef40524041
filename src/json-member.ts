// JSON objects built member by member. JSON.parse makes "__proto__" an ordinary member, but an
// assignment `obj["__proto__"] = value` replaces the object's prototype instead and the member is
// lost, and a read `obj["__proto__"]` of an object without that member gives Object.prototype, so
// a merge that followed it would write into every object of the process. Every copy or merge of
// client, policy or file data by member name goes through ownMember and setMember.

/** Sets an own member even for keys like "__proto__". */
export function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** The object's own member `key`, or undefined: never an inherited property such as __proto__. */
export function ownMember(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
