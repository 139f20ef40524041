// JSON objects built member by member. JSON.parse makes "__proto__" an ordinary member, but an
// assignment `obj["__proto__"] = value` replaces the object's prototype instead and the member is
// lost, so every copy of client or policy data that sets members by name goes through setMember.

/** Sets an own member even for keys like "__proto__". */
export function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
