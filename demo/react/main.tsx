import { StrictMode, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { HoistUploader, type FileInfo } from '../../src/react/index.js'

function App() {
  const [files, setFiles] = useState<FileInfo[]>([])
  const [progress, setProgress] = useState('')
  return (
    <main className="layout" style={{ paddingTop: 32 }}>
      <section className="card uploader-card">
        <h2>Hoist in React (StrictMode)</h2>
        <HoistUploader
          endpoint="/api/uploads"
          maxFileSize={2 * 1024 ** 3}
          meta={{ source: 'react-demo' }}
          note="Mounted under <StrictMode>: one Uppy instance, one upload per file"
          onUploadProgress={(e) => setProgress(`${e.detail.file.name}: ${Math.round((e.detail.bytesUploaded / e.detail.bytesTotal) * 100)}%`)}
          onUploadComplete={(e) => setFiles((list) => [...list, e.detail.file])}
        />
        <p className="progress" aria-live="polite">{progress}</p>
      </section>
      <section className="card">
        <h2>
          Stored files <span className="count" data-testid="stored-count">{files.length}</span>
        </h2>
        <ul className="files">
          {files.map((f) => (
            <li key={f.id}>
              <div className="meta">
                <a href={f.url} target="_blank" rel="noopener">{f.name}</a>
                <small>{f.size} bytes · {f.key}</small>
              </div>
            </li>
          ))}
        </ul>
      </section>
    </main>
  )
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
