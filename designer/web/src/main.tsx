import { initI18n } from '@shuiyun/web-kit';
import '@shuiyun/web-kit/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { resources } from './i18n/resources.js';
import './styles.css';

await initI18n(resources);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
