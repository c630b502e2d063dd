//! The page texts, in Swedish and English. BankID's own hint and failure
//! messages come from [`identisure::messages`]; these are the rest.

use identisure::messages::Lang;

/// A text of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum T {
    LogIn,
    Choose,
    Language,
    PersonalNumber,
    PersonalNumberHelp,
    TestIdentity,
    TestIdentityNone,
    Continue,
    LogInWith,
    ScanBankId,
    OpenBankId,
    ScanFreja,
    OpenFreja,
    QrLabel,
    GoTo,
    RedirectHelp,
    BindingMessage,
    Waiting,
    Cancel,
    NoScript,
    Welcome,
    LoggedInWith,
    LogInAgain,
    TryAgain,
    CancelledTitle,
    CancelledText,
    FailedTitle,
    TimedOutTitle,
    TimedOutText,
    StartFailedTitle,
    StartFailedText,
    CrossSite,
    WrongHost,
    NeedPersonalNumber,
    Busy,
    TooManyHere,
    NotFound,
    OtherBrowser,
    ComeBack,
    NotReturned,
    WrongReturn,
    Refused,
    InvalidId,
    Conflict,
    InternalError,
    UnsupportedClient,
    Unknown,
    Unreachable,
}

impl T {
    pub(crate) fn get(self, lang: Lang) -> &'static str {
        let (sv, en) = self.texts();
        lang.pick(sv, en)
    }

    fn texts(self) -> (&'static str, &'static str) {
        match self {
            T::LogIn => ("Logga in", "Log in"),
            T::Choose => (
                "Välj hur du vill legitimera dig",
                "Choose how to identify yourself",
            ),
            T::Language => ("Språk", "Language"),
            T::PersonalNumber => ("Personnummer", "Personal identity number"),
            T::PersonalNumberHelp => ("Behövs bara för Freja eID.", "Only needed for Freja eID."),
            T::TestIdentity => ("Testidentitet (simulator)", "Test identity (simulator)"),
            T::TestIdentityNone => ("Ingen (standard)", "None (default)"),
            T::Continue => ("Fortsätt", "Continue"),
            T::LogInWith => ("Logga in med", "Log in with"),
            T::ScanBankId => (
                "Öppna BankID-appen i mobilen och skanna QR-koden.",
                "Open the BankID app on your phone and scan the QR code.",
            ),
            T::OpenBankId => (
                "Öppna BankID på den här enheten",
                "Open BankID on this device",
            ),
            T::ScanFreja => (
                "Öppna Freja eID-appen och skanna QR-koden.",
                "Open the Freja eID app and scan the QR code.",
            ),
            T::OpenFreja => (
                "Öppna Freja eID på den här enheten",
                "Open Freja eID on this device",
            ),
            T::QrLabel => (
                "QR-kod att skanna med appen",
                "QR code to scan with the app",
            ),
            T::GoTo => ("Fortsätt till", "Continue to"),
            T::RedirectHelp => (
                "Du skickas till leverantörens sida och kommer sedan tillbaka hit.",
                "You will go to the provider's page and then come back here.",
            ),
            T::BindingMessage => ("Kontrollera att appen visar", "Check that the app shows"),
            T::Waiting => ("Väntar på dig…", "Waiting for you…"),
            T::Cancel => ("Avbryt", "Cancel"),
            T::NoScript => (
                "Sidan uppdateras automatiskt.",
                "This page refreshes itself.",
            ),
            T::Welcome => ("Välkommen", "Welcome"),
            T::LoggedInWith => ("Du är inloggad med", "You are logged in with"),
            T::LogInAgain => ("Logga in igen", "Log in again"),
            T::TryAgain => ("Försök igen", "Try again"),
            T::CancelledTitle => ("Inloggningen avbröts", "Login cancelled"),
            T::CancelledText => ("Inloggningen avbröts.", "The login was cancelled."),
            T::FailedTitle => ("Inloggningen misslyckades", "Login failed"),
            T::TimedOutTitle => ("Tiden gick ut", "Login timed out"),
            T::TimedOutText => (
                "Ingen legitimering gjordes i tid. Försök igen.",
                "Nobody identified in time. Please try again.",
            ),
            T::StartFailedTitle => (
                "Inloggningen kunde inte starta",
                "The login could not start",
            ),
            T::StartFailedText => (
                "Tjänsten för legitimering svarade inte som väntat. Försök igen om en stund.",
                "The identification service did not answer as expected. Please try again shortly.",
            ),
            T::WrongHost => (
                "Den här inloggningssidan är bara inställd för den här datorn. \
                 Den som driver tjänsten behöver ange public_url.",
                "This login page is set up for this computer only. \
                 Whoever runs this service needs to set public_url.",
            ),
            T::CrossSite => (
                "Inloggningen måste startas från den här sidan.",
                "The login must be started from this page.",
            ),
            T::NeedPersonalNumber => (
                "Ange ett giltigt personnummer för Freja eID (12 siffror).",
                "Enter a valid personal identity number for Freja eID (12 digits).",
            ),
            T::Busy => (
                "För många pågående inloggningar. Försök igen om en stund.",
                "Too many logins in progress. Please try again shortly.",
            ),
            T::TooManyHere => (
                "Du har startat för många inloggningar. Slutför en som pågår, eller vänta en minut och försök igen.",
                "You have started too many logins. Finish one in progress, or wait a minute and try again.",
            ),
            T::NotFound => (
                "Inloggningen finns inte längre. Börja om.",
                "This login no longer exists. Please start again.",
            ),
            T::OtherBrowser => (
                "Inloggningen startades i en annan webbläsare. Börja om här.",
                "This login was started in another browser. Please start again here.",
            ),
            T::ComeBack => (
                "Godkänt hos leverantören. Väntar på att du kommer tillbaka hit från leverantörens sida i den här webbläsaren…",
                "Approved at the provider. Waiting for you to come back here from the provider's page in this browser…",
            ),
            T::NotReturned => (
                "Legitimeringen godkändes, men du kom aldrig tillbaka hit från leverantörens sida i den här webbläsaren. Börja om.",
                "The identification was approved, but you never came back here from the provider's page in this browser. Please start again.",
            ),
            T::WrongReturn => (
                "Länken tillbaka från leverantören är ogiltig. Börja om.",
                "The link back from the provider is not valid. Please start again.",
            ),
            T::Refused => (
                "Legitimeringen godkändes inte.",
                "The identification was not accepted.",
            ),
            T::InvalidId => (
                "Personen kunde inte identifieras med uppgifterna som angavs.",
                "The person could not be identified with the details given.",
            ),
            T::Conflict => (
                "En annan inloggning för samma person pågår redan. Försök igen.",
                "Another login for the same person is already in progress. Please try again.",
            ),
            T::InternalError => (
                "Internt tekniskt fel. Försök igen.",
                "Internal error. Please try again.",
            ),
            T::UnsupportedClient => (
                "Appen är för gammal. Uppdatera den och försök igen.",
                "The app is too old. Please update it and try again.",
            ),
            T::Unknown => (
                "Okänt fel. Försök igen.",
                "Unknown error. Please try again.",
            ),
            T::Unreachable => (
                "Tjänsten för legitimering kunde inte nås. Försök igen om en stund.",
                "The identification service could not be reached. Please try again shortly.",
            ),
        }
    }
}
