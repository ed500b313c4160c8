import { createApp } from 'vue'
import '../../src/define.js'
import App from './App.vue'

createApp(App).mount('#app')
