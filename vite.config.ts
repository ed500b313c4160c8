import { defineConfig } from 'vite'

export default defineConfig({
  root: 'demo',
  // The demo server mounts Vite as middleware next to the upload endpoint.
  server: { middlewareMode: true },
  appType: 'mpa',
})
