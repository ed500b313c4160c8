export * from './element/index.js'
