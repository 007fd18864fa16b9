// Session ids: 15 bytes from the CSPRNG, base64url (20 characters). Predictable ids were
// CVE-2017-16031; these are never derived from counters or time.
export function randomId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(15))).toString("base64url");
}
