import { api } from '@shuiyun/web-kit';
import { useEffect, useState } from 'react';

const CHANGED = 'sy:notifications-changed';

/** Tells the header's badge to count again (after marking messages read). */
export function notificationsChanged(): void {
  window.dispatchEvent(new Event(CHANGED));
}

/** The signed-in user's unread messages: read now, every minute, and when told. */
export function useUnreadCount(): number {
  const [unread, setUnread] = useState(0);
  useEffect(() => {
    let live = true;
    const count = () =>
      api
        .get<{ unread?: number }>('/api/notifications', { pageSize: 1, unread: 'true' })
        .then((answer) => live && setUnread(answer.unread ?? 0))
        .catch(() => undefined);
    void count();
    const timer = setInterval(() => void count(), 60_000);
    window.addEventListener(CHANGED, count);
    return () => {
      live = false;
      clearInterval(timer);
      window.removeEventListener(CHANGED, count);
    };
  }, []);
  return unread;
}
