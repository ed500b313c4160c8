import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

export default defineConfig({
  root: 'demo',
  // The demo server mounts Vite as middleware next to the upload endpoint.
  server: { middlewareMode: true },
  appType: 'mpa',
  plugins: [
    // Tell Vue that <hoist-uploader> is a custom element, not a Vue component.
    vue({ template: { compilerOptions: { isCustomElement: (tag) => tag.startsWith('hoist-') } } }),
  ],
})
