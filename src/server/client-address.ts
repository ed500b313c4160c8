/** The network address each request came from, where an adapter knows it (`toNodeHandler` does). */
const addresses = new WeakMap<Request, string>()

export function setClientAddress(request: Request, address: string | undefined): void {
  if (address) addresses.set(request, address)
}

export function clientAddress(request: Request): string | undefined {
  return addresses.get(request)
}
