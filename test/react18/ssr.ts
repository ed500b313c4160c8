// React 18's renderToString of the wrapper (bundled for Node by test/e2e/react18.test.ts).
import React from 'react'
import { renderToString } from 'react-dom/server'
import { createHoistUploader } from '../../src/react/component.js'

const HoistUploader = createHoistUploader(React)
console.log(React.version, renderToString(React.createElement(HoistUploader, { endpoint: '/api/uploads' })))
