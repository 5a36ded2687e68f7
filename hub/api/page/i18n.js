// The operator page's words: one dictionary per language. Vietnamese is the default; English is one click away.
export const STRINGS = {
  vi: {
    appTitle: 'Wardwatch — Trung tâm giám sát quận',
    switchLang: 'English',
    login: 'Đăng nhập',
    loginTitle: 'Đăng nhập hệ thống',
    userName: 'Tên đăng nhập',
    password: 'Mật khẩu',
    wrongLogin: 'Sai tên đăng nhập hoặc mật khẩu.',
    locked: 'Tài khoản tạm bị khóa do đăng nhập sai nhiều lần. Thử lại sau {until}.',
    lockedAdmin: 'Tài khoản đã bị khóa. Liên hệ quản trị viên.',
    mustChange: 'Đây là mật khẩu ban đầu. Bạn phải đổi mật khẩu trước khi tiếp tục.',
    changePassword: 'Đổi mật khẩu',
    currentPassword: 'Mật khẩu hiện tại',
    newPassword: 'Mật khẩu mới',
    confirmPassword: 'Nhập lại mật khẩu mới',
    passwordRule: 'Ít nhất 8 ký tự, gồm cả chữ và số.',
    passwordMismatch: 'Hai mật khẩu mới không khớp.',
    wrongCurrent: 'Mật khẩu hiện tại không đúng.',
    logout: 'Đăng xuất',
    sessionEnded: 'Phiên đăng nhập đã hết. Vui lòng đăng nhập lại.',
    noPermission: 'Tài khoản này không có quyền xem trang điều hành.',
    tabIncidents: 'Sự cố',
    tabHealth: 'Tình trạng phường',
    tabDead: 'Cảnh báo bị từ chối',
    ward: 'Phường',
    camera: 'Camera',
    label: 'Loại',
    from: 'Từ',
    to: 'Đến',
    zone: 'Vùng',
    minScore: 'Điểm tối thiểu',
    forwarded: 'Đã chuyển Trung tâm',
    all: 'Tất cả',
    yes: 'Có',
    no: 'Không',
    filter: 'Lọc',
    clearFilters: 'Xóa bộ lọc',
    loadMore: 'Tải thêm',
    noIncidents: 'Không có sự cố nào khớp bộ lọc.',
    endOfList: 'Đã hết danh sách.',
    time: 'Thời gian',
    score: 'Điểm',
    zones: 'Vùng',
    state: 'Trạng thái',
    stateOpen: 'Đang diễn ra',
    stateEnded: 'Đã kết thúc',
    'label.person': 'Người',
    'label.bicycle': 'Xe đạp',
    'label.car': 'Ô tô',
    'label.motorcycle': 'Xe máy',
    'label.bus': 'Xe buýt',
    'label.truck': 'Xe tải',
    detailTitle: 'Chi tiết sự cố',
    close: 'Đóng',
    snapshot: 'Ảnh chụp',
    noSnapshot: 'Không có ảnh chụp.',
    clip: 'Đoạn phim',
    'clip.none': 'Chưa có đoạn phim từ phường.',
    'clip.receiving': 'Đoạn phim đang được gửi từ phường.',
    'clip.failed': 'Đoạn phim bị lỗi khi gửi.',
    'clip.expired': 'Đoạn phim đã bị xóa theo thời hạn lưu trữ.',
    viewAudited: 'Mỗi lần xem ảnh và phim đều được ghi vào nhật ký kiểm toán.',
    share: 'Chia sẻ với Trung tâm thành phố',
    shareUnblurred: 'Gửi ảnh không làm mờ',
    shareUnblurredWarn: 'Ảnh không làm mờ cho thấy rõ người trong ảnh. Chỉ chọn khi vụ việc thật sự cần. Việc chia sẻ được ghi vào nhật ký kiểm toán cùng tên của bạn.',
    shareNote: 'Ghi chú cho Trung tâm (không bắt buộc)',
    shareDone: 'Đã đưa vào hàng đợi gửi tới Trung tâm thành phố.',
    shareConfirmUnblurred: 'Gửi ảnh KHÔNG làm mờ tới Trung tâm thành phố? Việc này được ghi vào nhật ký kiểm toán.',
    forwards: 'Đã chuyển đi',
    'forward.pending': 'Đang chờ gửi',
    'forward.delivered': 'Đã gửi',
    'forward.dead': 'Bị từ chối',
    notForwarded: 'Chưa chuyển đi.',
    unblurred: 'không làm mờ',
    healthUpdated: 'Cập nhật lúc {time}',
    wardsOnline: '{n}/{total} phường trực tuyến',
    'live.online': 'Trực tuyến',
    'live.offline': 'Ngoại tuyến',
    'live.stale': 'Mất liên lạc',
    'live.unknown': 'Chưa rõ',
    diskFree: 'Đĩa trống',
    outbox: 'Hàng đợi gửi',
    lastSeen: 'Lần cuối',
    camerasRecording: 'Camera đang ghi',
    'cam.recording': 'Đang ghi',
    'cam.stalled': 'Bị treo',
    'cam.offline': 'Mất kết nối',
    'cam.disabled': 'Tắt',
    'cam.unknown': 'Chưa rõ',
    alarms: 'Cảnh báo',
    noCameras: 'Chưa có camera nào báo cáo.',
    deadTitle: 'Cảnh báo Trung tâm thành phố đã từ chối',
    deadEmpty: 'Không có cảnh báo nào bị từ chối.',
    target: 'Nơi nhận',
    reason: 'Lý do',
    attempts: 'Số lần thử',
    deadAt: 'Bị từ chối lúc',
    incident: 'Sự cố',
    retry: 'Gửi lại',
    retried: 'Đã đưa vào gửi lại.',
    error: 'Lỗi: {msg}',
    loading: 'Đang tải…',
    never: 'chưa bao giờ',
  },
  en: {
    appTitle: 'Wardwatch — District monitoring',
    switchLang: 'Tiếng Việt',
    login: 'Log in',
    loginTitle: 'Log in',
    userName: 'User name',
    password: 'Password',
    wrongLogin: 'Wrong user name or password.',
    locked: 'This account is locked after too many failed logins. Try again after {until}.',
    lockedAdmin: 'This account is locked. Ask an administrator.',
    mustChange: 'This is an initial password. Change it before you go on.',
    changePassword: 'Change password',
    currentPassword: 'Current password',
    newPassword: 'New password',
    confirmPassword: 'New password again',
    passwordRule: 'At least 8 characters, with a letter and a digit.',
    passwordMismatch: 'The two new passwords differ.',
    wrongCurrent: 'The current password is wrong.',
    logout: 'Log out',
    sessionEnded: 'Your session ended. Please log in again.',
    noPermission: 'This account may not use the operator page.',
    tabIncidents: 'Incidents',
    tabHealth: 'Ward health',
    tabDead: 'Refused alerts',
    ward: 'Ward',
    camera: 'Camera',
    label: 'Label',
    from: 'From',
    to: 'To',
    zone: 'Zone',
    minScore: 'Min. score',
    forwarded: 'Sent to the city',
    all: 'All',
    yes: 'Yes',
    no: 'No',
    filter: 'Filter',
    clearFilters: 'Clear filters',
    loadMore: 'Load more',
    noIncidents: 'No incident matches the filters.',
    endOfList: 'End of the list.',
    time: 'Time',
    score: 'Score',
    zones: 'Zones',
    state: 'State',
    stateOpen: 'Ongoing',
    stateEnded: 'Ended',
    'label.person': 'Person',
    'label.bicycle': 'Bicycle',
    'label.car': 'Car',
    'label.motorcycle': 'Motorcycle',
    'label.bus': 'Bus',
    'label.truck': 'Truck',
    detailTitle: 'Incident',
    close: 'Close',
    snapshot: 'Snapshot',
    noSnapshot: 'No snapshot.',
    clip: 'Clip',
    'clip.none': 'No clip from the ward yet.',
    'clip.receiving': 'The clip is on its way from the ward.',
    'clip.failed': 'The clip failed to arrive.',
    'clip.expired': 'The clip was removed by retention.',
    viewAudited: 'Every view of a snapshot or clip is recorded in the audit log.',
    share: 'Share with the City Centre',
    shareUnblurred: 'Send the snapshot unblurred',
    shareUnblurredWarn: 'An unblurred snapshot shows people clearly. Choose it only when the case needs it. The share is recorded in the audit log with your name.',
    shareNote: 'Note for the City Centre (optional)',
    shareDone: 'Queued for the City Centre.',
    shareConfirmUnblurred: 'Send the snapshot UNBLURRED to the City Centre? This is recorded in the audit log.',
    forwards: 'Sent',
    'forward.pending': 'Waiting',
    'forward.delivered': 'Delivered',
    'forward.dead': 'Refused',
    notForwarded: 'Not sent yet.',
    unblurred: 'unblurred',
    healthUpdated: 'Updated {time}',
    wardsOnline: '{n}/{total} wards online',
    'live.online': 'Online',
    'live.offline': 'Offline',
    'live.stale': 'Not heard from',
    'live.unknown': 'Unknown',
    diskFree: 'Disk free',
    outbox: 'Outbox',
    lastSeen: 'Last seen',
    camerasRecording: 'Cameras recording',
    'cam.recording': 'Recording',
    'cam.stalled': 'Stalled',
    'cam.offline': 'Offline',
    'cam.disabled': 'Disabled',
    'cam.unknown': 'Unknown',
    alarms: 'Alarms',
    noCameras: 'No camera has reported yet.',
    deadTitle: 'Alerts the City Centre refused',
    deadEmpty: 'No refused alerts.',
    target: 'Target',
    reason: 'Reason',
    attempts: 'Attempts',
    deadAt: 'Refused at',
    incident: 'Incident',
    retry: 'Retry',
    retried: 'Queued again.',
    error: 'Error: {msg}',
    loading: 'Loading…',
    never: 'never',
  },
};

const KEY = 'wardwatch.lang';
let lang = (() => {
  try {
    return localStorage.getItem(KEY) === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
})();

export function currentLang() {
  return lang;
}

export function setLang(next) {
  lang = next === 'en' ? 'en' : 'vi';
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    // private mode: the choice lasts for this page only
  }
  document.documentElement.lang = lang;
}

/** The string for `key` in the current language, with {name} placeholders filled. */
export function t(key, vars = {}) {
  const s = STRINGS[lang][key] ?? STRINGS.vi[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

/** Fills every element marked data-i18n (text) or data-i18n-placeholder. */
export function translatePage(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
}

export function formatTime(ms) {
  if (ms === null || ms === undefined) return t('never');
  return new Date(ms).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}

export function formatBytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}
