import '@shuiyun/web-kit/styles.css';
import './shell.css';
import { initI18n } from '@shuiyun/web-kit';
import { registerBlockWords } from '@shuiyun/web-kit/blocks';
import { unstableSetRender } from 'antd';
import { StrictMode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { ShellApp } from './ShellApp.js';
import { words } from './words.js';

// antd 5 renders its static pieces (message, notification, wave) with the React 19 root API.
unstableSetRender((node, container) => {
  const host = container as Element & { _syRoot?: Root };
  host._syRoot ??= createRoot(container);
  host._syRoot.render(node);
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    host._syRoot?.unmount();
    delete host._syRoot;
  };
});

await initI18n(words);
registerBlockWords();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ShellApp />
  </StrictMode>,
);
