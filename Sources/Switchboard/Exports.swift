@_exported import SwitchboardCalendar
@_exported import SwitchboardCore
@_exported import SwitchboardDatabase
@_exported import SwitchboardEmail
@_exported import SwitchboardHTTP
@_exported import SwitchboardLanguage
@_exported import SwitchboardStorage
