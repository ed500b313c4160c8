// The React wrapper under React 18 and <StrictMode>, in the browser (bundled by test/e2e/react18.test.ts).
import React, { StrictMode, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { createHoistUploader } from '../../src/react/component.js'

const HoistUploader = createHoistUploader(React)

function App({ endpoint }: { endpoint: string }) {
  const [stored, setStored] = useState(0)
  return React.createElement(
    'div',
    null,
    React.createElement(HoistUploader, { endpoint, meta: { react: React.version }, onUploadComplete: () => setStored((n) => n + 1) }),
    React.createElement('output', { 'data-testid': 'stored-count' }, String(stored)),
  )
}

const endpoint = new URL(location.href).searchParams.get('endpoint')!
createRoot(document.getElementById('root')!).render(React.createElement(StrictMode, null, React.createElement(App, { endpoint })))
