import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

export default defineConfig({
  root: 'demo',
  // The demo server mounts Vite as middleware next to the upload endpoint.
  server: { middlewareMode: true },
  appType: 'mpa',
  // The lazy extras' dependencies, bundled up front: found only when a page first loads one, they
  // would make Vite re-bundle its dependencies and reload the page.
  optimizeDeps: { include: ['@uppy/webcam', '@uppy/screen-capture', '@uppy/audio', '@uppy/image-editor', '@uppy/golden-retriever', '@uppy/aws-s3'] },
  worker: { format: 'es' },
  plugins: [
    // Tell Vue that <hoist-uploader> is a custom element, not a Vue component.
    vue({ template: { compilerOptions: { isCustomElement: (tag) => tag.startsWith('hoist-') } } }),
  ],
})
