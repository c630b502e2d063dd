//! Wake-ups of waiting tasks: on an event ([`Wakeups`]: a cancel, a turn to
//! collect given back, a callback) or at a time ([`Timer`]: the next collect,
//! a deadline).
//!
//! Why not tokio's `Notify` and `Sleep` alone: their registrations
//! (`Notified`, 64 bytes; `Sleep`, 96) live *inside* the waiting future,
//! which then needs tokio's 384-byte task cell; 100,000 waiting sessions
//! are a process's memory. Here a waiting future keeps a [`Key`] and the
//! time it asked for; the wakers are kept beside the event (one list per
//! session or callback slot, no allocation for one waiter) and in one
//! timer per runtime, whose task sleeps until the earliest time asked for
//! (40 bytes a registration). A waiting session then fits the 256-byte cell.
//!
//! Every wake-up may be spurious: a woken task looks at why, and registers
//! again when it goes on waiting. A task registers *before* it looks, so an
//! event in between still wakes it.

use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::Waker;
use std::time::Duration;

use tokio::time::Instant;

/// Names one waiting task's registration with a [`Wakeups`]: the address
/// of the registering state, which does not move while it is registered
/// (it is inside a pinned future) and withdraws its registration when
/// dropped, so no two live registrations share one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Key(usize);

impl Key {
    pub(crate) fn of<T>(state: &T) -> Key {
        Key(std::ptr::from_ref(state).addr())
    }
}

/// The tasks waiting for the events of one source, woken all at once.
#[derive(Default)]
pub(crate) struct Wakeups(Mutex<List>);

#[derive(Default)]
enum List {
    #[default]
    Empty,
    /// The usual case (one wait of a session), without an allocation.
    One(Key, Waker),
    Many(Vec<(Key, Waker)>),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Wakeups {
    /// Wakes `waker` at the next [`Wakeups::wake_all`] (replaces what `key`
    /// registered before).
    pub(crate) fn register(&self, key: Key, waker: &Waker) {
        let list = &mut *lock(&self.0);
        *list = match std::mem::take(list) {
            List::Empty => List::One(key, waker.clone()),
            List::One(k, mut w) if k == key => {
                w.clone_from(waker);
                List::One(k, w)
            }
            List::One(k, w) => List::Many(vec![(k, w), (key, waker.clone())]),
            List::Many(mut all) => {
                match all.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, w)) => w.clone_from(waker),
                    None => all.push((key, waker.clone())),
                }
                List::Many(all)
            }
        };
    }

    /// Withdraws what `key` registered (nothing if it was woken since).
    pub(crate) fn forget(&self, key: Key) {
        let list = &mut *lock(&self.0);
        match list {
            List::One(k, _) if *k == key => *list = List::Empty,
            List::Many(all) => {
                all.retain(|(k, _)| *k != key);
                if all.is_empty() {
                    *list = List::Empty;
                }
            }
            _ => {}
        }
    }

    /// Wakes every registered task (each registers again if it goes on
    /// waiting). Call it after changing what they look at.
    pub(crate) fn wake_all(&self) {
        match std::mem::take(&mut *lock(&self.0)) {
            List::Empty => {}
            List::One(_, waker) => waker.wake(),
            List::Many(all) => all.into_iter().for_each(|(_, waker)| waker.wake()),
        }
    }

    /// Resolves with what `ready` gives, looked at now and after each
    /// wake-up of this source. Cancel-safe.
    pub(crate) async fn until<T>(&self, mut ready: impl FnMut() -> Option<T>) -> T {
        if let Some(value) = ready() {
            return value;
        }
        let listening = Listening { wakeups: self };
        std::future::poll_fn(|cx| {
            self.register(listening.key(), cx.waker());
            ready().map_or(std::task::Poll::Pending, std::task::Poll::Ready)
        })
        .await
    }
}

/// A registration with a [`Wakeups`], withdrawn when dropped.
struct Listening<'a> {
    wakeups: &'a Wakeups,
}

impl Listening<'_> {
    fn key(&self) -> Key {
        Key::of(self)
    }
}

impl Drop for Listening<'_> {
    fn drop(&mut self) {
        self.wakeups.forget(self.key());
    }
}

/// The times the waiting tasks of one runtime asked to be woken at, and the
/// task that wakes them: it sleeps until the earliest (one tokio timer for
/// them all).
pub(crate) struct Timer {
    runtime: tokio::runtime::Id,
    /// Times are milliseconds since this, rounded up (never early).
    epoch: Instant,
    wheel: Mutex<Wheel>,
    /// Wakes the timer's task for a time earlier than it sleeps until.
    kick: tokio::sync::Notify,
}

#[derive(Default)]
struct Wheel {
    /// Who asked to be woken, by slot. A slot belongs to one [`Alarm`] until
    /// it withdraws (then it is listed in `free`); waking it takes its waker
    /// out, the slot stays the alarm's.
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// (millisecond, slot), earliest first. An item whose slot was
    /// withdrawn or asks for another time since is stale, skipped when due.
    due: BinaryHeap<std::cmp::Reverse<(u64, u32)>>,
    /// What the task sleeps until.
    armed: Option<u64>,
}

#[derive(Default)]
struct Slot {
    /// The millisecond it asked for last.
    asked: u64,
    /// `None` once woken (or withdrawn).
    waker: Option<Waker>,
}

/// A waiting task's registration with its runtime's [`Timer`]: withdrawn
/// when dropped, so that a finished task is not held by its waker.
#[derive(Default)]
pub(crate) struct Alarm(Option<(Arc<Timer>, u32)>);

impl Alarm {
    /// Wakes `waker` at `at` or soon after (once; [`Alarm::set`] again to go
    /// on waiting). Replaces what it asked for before.
    pub(crate) fn set(&mut self, at: Instant, waker: &Waker) {
        let current = tokio::runtime::Handle::current().id();
        // The timer it holds is put back (not cloned): one set a second per
        // waiting session.
        let (timer, held) = match self.0.take() {
            Some((timer, slot)) if timer.runtime == current => (timer, Some(slot)),
            Some((timer, slot)) => {
                // Polled on another runtime now: that runtime's timer takes over.
                timer.withdraw(slot);
                (Timer::current(current), None)
            }
            None => (Timer::current(current), None),
        };
        let slot = timer.ask(held, at, waker);
        self.0 = Some((timer, slot));
    }

    /// Withdraws what it asked for.
    pub(crate) fn clear(&mut self) {
        if let Some((timer, slot)) = self.0.take() {
            timer.withdraw(slot);
        }
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        self.clear();
    }
}

impl Timer {
    /// The runtime's timer; made, and its task spawned, on first use.
    fn current(runtime: tokio::runtime::Id) -> Arc<Timer> {
        static TIMERS: Mutex<Vec<Weak<Timer>>> = Mutex::new(Vec::new());
        let mut timers = lock(&TIMERS);
        // A runtime's timer ends with its task (the runtime shut down).
        timers.retain(|t| t.strong_count() > 0);
        if let Some(timer) = timers
            .iter()
            .filter_map(Weak::upgrade)
            .find(|t| t.runtime == runtime)
        {
            return timer;
        }
        let timer = Arc::new(Timer {
            runtime,
            epoch: Instant::now(),
            wheel: Mutex::default(),
            kick: tokio::sync::Notify::new(),
        });
        timers.push(Arc::downgrade(&timer));
        tokio::spawn(run(timer.clone()));
        timer
    }

    /// Milliseconds from the epoch to `at`, rounded up (to be woken no
    /// earlier than `at`).
    fn millis(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.epoch);
        Self::whole_millis(since)
            .saturating_add(u64::from(!since.subsec_nanos().is_multiple_of(1_000_000)))
    }

    /// Whole milliseconds elapsed since the epoch (what is due).
    fn elapsed_millis(&self) -> u64 {
        Self::whole_millis(self.epoch.elapsed())
    }

    fn whole_millis(d: Duration) -> u64 {
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
    }

    /// Asks for `waker` to be woken at `at`, in `slot` when given (it asked
    /// before); the slot it is in.
    fn ask(&self, slot: Option<u32>, at: Instant, waker: &Waker) -> u32 {
        let ms = self.millis(at);
        let (slot, kick) = {
            let wheel = &mut *lock(&self.wheel);
            let slot = match slot {
                Some(slot) => slot,
                None => match wheel.free.pop() {
                    Some(slot) => slot,
                    None => {
                        wheel.slots.push(Slot::default());
                        u32::try_from(wheel.slots.len() - 1).unwrap_or(u32::MAX)
                    }
                },
            };
            let Some(entry) = wheel.slots.get_mut(slot as usize) else {
                // Unreachable (slots are never removed); wake it at once
                // rather than never.
                waker.wake_by_ref();
                return slot;
            };
            match &mut entry.waker {
                // Asked for this time already and not woken yet.
                Some(w) if entry.asked == ms => w.clone_from(waker),
                _ => {
                    *entry = Slot {
                        asked: ms,
                        waker: Some(waker.clone()),
                    };
                    wheel.due.push(std::cmp::Reverse((ms, slot)));
                }
            }
            let kick = wheel.armed.is_none_or(|armed| ms < armed);
            if kick {
                wheel.armed = Some(ms);
            }
            (slot, kick)
        };
        if kick {
            self.kick.notify_one();
        }
        slot
    }

    /// Gives the slot back (only its alarm does, once).
    fn withdraw(&self, slot: u32) {
        let wheel = &mut *lock(&self.wheel);
        if let Some(entry) = wheel.slots.get_mut(slot as usize) {
            entry.waker = None;
            wheel.free.push(slot);
        }
    }
}

/// The timer's task: wakes what is due, then sleeps until the next time
/// (or a kick for an earlier one).
async fn run(timer: Arc<Timer>) {
    let mut woken = Vec::new();
    loop {
        // Before looking: a kick from here on is kept for the await below.
        let kicked = timer.kick.notified();
        let next = {
            let wheel = &mut *lock(&timer.wheel);
            let now = timer.elapsed_millis();
            while let Some(&std::cmp::Reverse((ms, slot))) = wheel.due.peek()
                && ms <= now
            {
                wheel.due.pop();
                // Current only if the slot still asks for this time.
                if let Some(entry) = wheel.slots.get_mut(slot as usize)
                    && entry.asked == ms
                    && let Some(waker) = entry.waker.take()
                {
                    woken.push(waker);
                }
            }
            wheel.armed = wheel.due.peek().map(|std::cmp::Reverse((ms, _))| *ms);
            if wheel.armed.is_none() && wheel.free.len() == wheel.slots.len() {
                // No alarm holds a slot: give back what a burst grew.
                *wheel = Wheel::default();
            }
            wheel.armed
        };
        woken.drain(..).for_each(Waker::wake);
        match next {
            Some(ms) => {
                tokio::select! {
                    biased;
                    () = kicked => {}
                    () = tokio::time::sleep_until(timer.epoch + Duration::from_millis(ms)) => {}
                }
            }
            None => kicked.await,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Wake};

    /// Counts its wake-ups (`.0`); also the notifier's tests'.
    pub(crate) struct Count(pub(crate) AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A waker and what counts its wake-ups.
    pub(crate) fn counter() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn wake_all_wakes_each_registration_once_and_forget_withdraws_one() {
        let wakeups = Wakeups::default();
        let (a, wa) = counter();
        let (b, wb) = counter();
        let (c, wc) = counter();
        let (ka, kb, kc) = (Key(1), Key(2), Key(3));
        wakeups.register(ka, &wa);
        wakeups.register(ka, &wa);
        wakeups.register(kb, &wb);
        wakeups.register(kc, &wc);
        wakeups.forget(kb);
        wakeups.wake_all();
        wakeups.wake_all();
        let counts = [&a, &b, &c].map(|n| n.0.load(Ordering::SeqCst));
        assert_eq!(counts, [1, 0, 1]);
    }

    #[tokio::test]
    async fn until_ends_on_the_event_registered_before_it_looked() {
        let wakeups = Arc::new(Wakeups::default());
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let waiting = tokio::spawn({
            let (wakeups, flag) = (wakeups.clone(), flag.clone());
            async move {
                wakeups
                    .until(|| flag.load(Ordering::SeqCst).then_some(7))
                    .await
            }
        });
        tokio::task::yield_now().await;
        flag.store(true, Ordering::SeqCst);
        wakeups.wake_all();
        let got = tokio::time::timeout(Duration::from_secs(10), waiting).await;
        assert_eq!(got.expect("woken").expect("no panic"), 7);
        // A dropped `until` leaves nothing registered.
        let never = wakeups.until(|| None::<()>);
        let polled = tokio::time::timeout(Duration::from_millis(10), never).await;
        assert!(polled.is_err());
        assert!(matches!(*lock(&wakeups.0), List::Empty));
    }

    #[tokio::test(start_paused = true)]
    async fn an_alarm_wakes_at_its_time_never_before_and_a_cleared_one_never() {
        let (count, waker) = counter();
        let start = Instant::now();
        let mut alarm = Alarm::default();
        alarm.set(start + Duration::from_millis(1500), &waker);
        let (cleared, cleared_waker) = counter();
        let mut withdrawn = Alarm::default();
        withdrawn.set(start + Duration::from_millis(1000), &cleared_waker);
        withdrawn.clear();
        tokio::time::sleep(Duration::from_millis(1499)).await;
        assert_eq!(count.0.load(Ordering::SeqCst), 0, "woken early");
        tokio::time::sleep(Duration::from_millis(2)).await;
        tokio::task::yield_now().await;
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "woken at its time");
        assert_eq!(cleared.0.load(Ordering::SeqCst), 0, "a cleared alarm woke");
        // Set again for a later time, then an earlier one: the earlier wins
        // (the timer's task is kicked), once.
        alarm.set(Instant::now() + Duration::from_secs(60), &waker);
        alarm.set(Instant::now() + Duration::from_millis(10), &waker);
        tokio::time::sleep(Duration::from_millis(11)).await;
        tokio::task::yield_now().await;
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            2,
            "the replaced time woke it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_woken_alarm_keeps_its_slot_for_its_next_time() {
        let (a_count, a_waker) = counter();
        let (b_count, b_waker) = counter();
        let ms = |n| Instant::now() + Duration::from_millis(n);
        let mut a = Alarm::default();
        a.set(ms(10), &a_waker);
        tokio::time::sleep(Duration::from_millis(11)).await;
        tokio::task::yield_now().await;
        assert_eq!(a_count.0.load(Ordering::SeqCst), 1);
        // `b` must not be given the slot `a` still holds.
        let mut b = Alarm::default();
        b.set(ms(100), &b_waker);
        a.set(ms(50), &a_waker);
        tokio::time::sleep(Duration::from_millis(51)).await;
        tokio::task::yield_now().await;
        assert_eq!(a_count.0.load(Ordering::SeqCst), 2);
        assert_eq!(b_count.0.load(Ordering::SeqCst), 0);
        tokio::time::sleep(Duration::from_millis(50)).await;
        tokio::task::yield_now().await;
        assert_eq!(b_count.0.load(Ordering::SeqCst), 1, "b's wake-up was lost");
    }

    #[test]
    fn an_alarm_set_again_on_another_runtime_is_woken_by_that_runtimes_timer() {
        let paused = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("a runtime")
        };
        let (count, waker) = counter();
        let mut alarm = Alarm::default();
        let first = paused();
        first.block_on(async { alarm.set(Instant::now() + Duration::from_secs(3600), &waker) });
        // Its timer's task ends with it.
        drop(first);
        paused().block_on(async {
            alarm.set(Instant::now() + Duration::from_millis(20), &waker);
            tokio::time::sleep(Duration::from_millis(21)).await;
            tokio::task::yield_now().await;
        });
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_timer_gives_back_its_memory_once_no_alarm_holds_a_slot() {
        let (count, waker) = counter();
        let mut alarms: Vec<Alarm> = (0..1000).map(|_| Alarm::default()).collect();
        for alarm in &mut alarms {
            alarm.set(Instant::now() + Duration::from_millis(10), &waker);
        }
        let timer = Timer::current(tokio::runtime::Handle::current().id());
        assert!(lock(&timer.wheel).slots.capacity() >= 1000);
        tokio::time::sleep(Duration::from_millis(11)).await;
        tokio::task::yield_now().await;
        assert_eq!(count.0.load(Ordering::SeqCst), 1000);
        // Woken, they still hold their slots until they withdraw.
        assert!(lock(&timer.wheel).slots.capacity() >= 1000);
        alarms.clear();
        // One more, withdrawn before its time: the timer's task looks then.
        let mut last = Alarm::default();
        last.set(Instant::now() + Duration::from_millis(5), &waker);
        last.clear();
        tokio::time::sleep(Duration::from_millis(6)).await;
        tokio::task::yield_now().await;
        let wheel = lock(&timer.wheel);
        assert_eq!(wheel.slots.capacity() + wheel.free.capacity(), 0);
    }

    #[tokio::test]
    async fn a_wait_on_an_alarm_ends_in_real_time() {
        let at = Instant::now() + Duration::from_millis(30);
        let mut alarm = Alarm::default();
        std::future::poll_fn(|cx: &mut Context<'_>| {
            if Instant::now() >= at {
                return Poll::Ready(());
            }
            alarm.set(at, cx.waker());
            Poll::Pending
        })
        .await;
        assert!(Instant::now() >= at);
    }
}
