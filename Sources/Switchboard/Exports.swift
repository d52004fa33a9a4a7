@_exported import SwitchboardCore
@_exported import SwitchboardHTTP
@_exported import SwitchboardDatabase
@_exported import SwitchboardStorage
@_exported import SwitchboardLanguage
