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
    locked: 'Tên này tạm bị khóa trên máy này do đăng nhập sai nhiều lần. Thử lại sau {until}.',
    throttled: 'Máy này đăng nhập sai quá nhiều lần. Thử lại sau {until}.',
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
    detectFps: 'Khung hình phân tích/giây',
    sightingsPerMin: 'Đối tượng/phút',
    alertsPerMin: 'Cảnh báo/phút',
    framesLostPerMin: 'Khung hình bỏ lỡ/phút',
    camerasRecording: 'Camera đang ghi',
    boxClock: 'Đồng hồ hộp',
    'ntp.synced': 'đồng bộ NTP',
    'ntp.unsynced': '⚠ chưa đồng bộ NTP',
    'ntp.unknown': 'không rõ',
    cameraClock: 'đồng hồ camera {skew}',
    cameraClockUnknown: 'đồng hồ camera: không rõ',
    timesIn: 'Giờ theo {zone} (UTC{offset})',
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
    tabRetrieve: 'Lấy đoạn ghi hình',
    'retrieve.duration': 'Thời lượng (phút)',
    'retrieve.submit': 'Gửi yêu cầu tới phường',
    'retrieve.hint': 'Phường cắt đoạn ghi hình và gửi về trung tâm quận. Phường đang mất kết nối sẽ nhận yêu cầu khi kết nối lại. Mỗi yêu cầu và mỗi lần xem đều được ghi vào nhật ký kiểm toán.',
    'retrieve.sent': 'Đã gửi yêu cầu.',
    'retrieve.asked': 'Yêu cầu lúc',
    'retrieve.range': 'Khoảng thời gian',
    'retrieve.size': 'Dung lượng',
    'retrieve.empty': 'Chưa có yêu cầu nào.',
    'retrieve.play': 'Xem',
    'live.watch': 'Xem trực tiếp',
    'live.stop': 'Dừng xem',
    'live.stream': 'Luồng',
    'live.connecting': 'Đang chờ phường gửi hình…',
    'live.hint': 'Hình trực tiếp đi từ phường qua trung tâm quận; mỗi lần xem được ghi vào nhật ký kiểm toán.',
    'live.offline': 'Phường đang mất kết nối: không xem trực tiếp được.',
    'live.tooMany': 'Phường này đang gửi đủ số luồng trực tiếp cho phép: đóng một luồng, hoặc xem tại phường.',
    'live.ended': 'Đã dừng xem trực tiếp.',
    'retrieve.state.requested': 'Đang chờ phường kết nối',
    'retrieve.state.sent-to-ward': 'Đã gửi tới phường',
    'retrieve.state.cutting': 'Phường đang cắt đoạn ghi hình',
    'retrieve.state.transferring': 'Đang truyền về',
    'retrieve.state.ready': 'Sẵn sàng',
    'retrieve.state.failed': 'Không lấy được',
    'retrieve.state.cancelled': 'Đã huỷ',
    'retrieve.state.expired': 'Đã xoá theo thời hạn lưu trữ',
    'retrieve.cancel': 'Huỷ',
    'retrieve.cancelConfirm': 'Huỷ yêu cầu này? Đoạn ghi hình đang gửi về sẽ bị bỏ.',
    'retrieve.share': 'Chia sẻ với Trung tâm',
    'retrieve.shareHint': 'Trung tâm thành phố nhận một đường dẫn có chữ ký, hết hạn sau một thời gian, tới đoạn ghi hình này. Việc chia sẻ được ghi vào nhật ký kiểm toán cùng tên của bạn.',
    'retrieve.shareSend': 'Gửi tới Trung tâm',
    'retrieve.shareState.queued': 'đã đưa vào hàng đợi',
    'retrieve.shareState.pending': 'đang gửi',
    'retrieve.shareState.delivered': 'Trung tâm đã nhận',
    'retrieve.shareState.dead': 'Trung tâm từ chối (xem thư không gửi được)',
    'retrieve.sharedWithCity': 'chia sẻ với Trung tâm',
    'retrieve.unknownWard': 'Không có phường này.',
    'retrieve.unknownCamera': 'Phường này không có camera đó.',
    'retrieve.tooLong': 'Khoảng thời gian quá dài: hãy chia nhỏ.',
    'retrieve.badRange': 'Thời gian không hợp lệ.',
    'retrieve.tooMany': 'Bạn đang có quá nhiều yêu cầu chưa xong: chờ một yêu cầu hoàn tất.',
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
    locked: 'This name is locked on this computer after too many failed logins. Try again after {until}.',
    throttled: 'Too many failed logins from this computer. Try again after {until}.',
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
    detectFps: 'Frames analysed/s',
    sightingsPerMin: 'Objects/min',
    alertsPerMin: 'Alerts/min',
    framesLostPerMin: 'Frames lost/min',
    camerasRecording: 'Cameras recording',
    boxClock: 'Box clock',
    'ntp.synced': 'NTP-synchronised',
    'ntp.unsynced': '⚠ not NTP-synchronised',
    'ntp.unknown': 'unknown',
    cameraClock: 'camera clock {skew}',
    cameraClockUnknown: 'camera clock: unknown',
    timesIn: 'Times in {zone} (UTC{offset})',
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
    tabRetrieve: 'Retrieve recording',
    'retrieve.duration': 'Duration (minutes)',
    'retrieve.submit': 'Send the request to the ward',
    'retrieve.hint': 'The ward cuts the recording and sends it to the district hub. A ward that is offline gets the request when it reconnects. Every request and every view is written to the audit log.',
    'retrieve.sent': 'Request sent.',
    'retrieve.asked': 'Asked at',
    'retrieve.range': 'Range',
    'retrieve.size': 'Size',
    'retrieve.empty': 'No requests yet.',
    'retrieve.play': 'Play',
    'live.watch': 'Watch live',
    'live.stop': 'Stop',
    'live.stream': 'Stream',
    'live.connecting': 'Waiting for the ward to send the picture…',
    'live.hint': 'The live picture comes from the ward through the district hub; every view is written to the audit log.',
    'live.offline': 'The ward is offline: live view is not possible.',
    'live.tooMany': 'This ward already sends as many live views as allowed: close one, or watch at the ward.',
    'live.ended': 'Live view stopped.',
    'retrieve.state.requested': 'Waiting for the ward to connect',
    'retrieve.state.sent-to-ward': 'Sent to the ward',
    'retrieve.state.cutting': 'The ward is cutting the recording',
    'retrieve.state.transferring': 'Transferring',
    'retrieve.state.ready': 'Ready',
    'retrieve.state.failed': 'Could not be retrieved',
    'retrieve.state.cancelled': 'Cancelled',
    'retrieve.state.expired': 'Removed by retention',
    'retrieve.cancel': 'Cancel',
    'retrieve.cancelConfirm': 'Cancel this request? A recording on its way will be dropped.',
    'retrieve.share': 'Share with the City Centre',
    'retrieve.shareHint': 'The City Centre gets a signed link to this recording that expires after a while. The share is recorded in the audit log with your name.',
    'retrieve.shareSend': 'Send to the City Centre',
    'retrieve.shareState.queued': 'queued',
    'retrieve.shareState.pending': 'on its way',
    'retrieve.shareState.delivered': 'the City Centre has it',
    'retrieve.shareState.dead': 'refused by the City Centre (see dead letters)',
    'retrieve.sharedWithCity': 'shared with the City Centre',
    'retrieve.unknownWard': 'No such ward.',
    'retrieve.unknownCamera': 'This ward has no such camera.',
    'retrieve.tooLong': 'The range is too long: split it.',
    'retrieve.badRange': 'The time is not valid.',
    'retrieve.tooMany': 'You have too many requests on their way: wait until one is done.',
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

// every time on the page is the district's (hub.yaml timeZone, from GET /api/wards) with its offset, whatever zone
// the browser is in; date boxes are read in it too (shared/page/zone-time.js)
let timeZone = 'Asia/Ho_Chi_Minh';

export function setTimeZone(zone) {
  if (zone) timeZone = zone;
}

/** "Times in Asia/Ho_Chi_Minh (UTC+07:00)" */
export function zoneNote() {
  return t('timesIn', { zone: timeZone, offset: window.ZoneTime.offsetText(window.ZoneTime.offsetAt(Date.now(), timeZone)) });
}

export function formatTime(ms) {
  if (ms === null || ms === undefined) return t('never');
  return window.ZoneTime.dateTime(ms, timeZone);
}

/** A value of an <input type=datetime-local> as the instant it means in the district; NaN when empty or bad. */
export function inputTime(value) {
  return window.ZoneTime.fromInput(value, timeZone);
}

/** Now (less `agoMs`) as an <input type=datetime-local> value, in the district's zone, to the minute. */
export function inputValue(agoMs = 0) {
  return window.ZoneTime.inputValue(Date.now() - agoMs, timeZone).slice(0, 16);
}

/** A clock skew: "+3.2 s", "−0.4 s" (a decimal comma in Vietnamese). */
export function formatSkew(ms) {
  return window.ZoneTime.skew(ms, lang);
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
